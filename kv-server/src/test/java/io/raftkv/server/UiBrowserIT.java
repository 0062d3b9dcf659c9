package io.raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cluster view ({@code GET /ui/}) in a real headless Chromium, driven by Selenium against three {@code serve}
 * processes from the shaded jar: three members and one leader are shown; after kill -9 of the leader it is shown
 * unreachable and a new leader with a higher term appears; a key put through the page's form appears as a log entry
 * and commits on every node; a simulator run's events file ({@code raftkv simulate --events}) loads and steps.
 * Screenshots of every stage go to {@code target/ui-screenshots/}.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} ({@code .ci/run} installs them); without them the test
 * is skipped, loudly. Other locations: {@code -Dchrome.binary=...} and {@code -Dwebdriver.chrome.driver=...}.
 */
class UiBrowserIT {
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration SEEN = Duration.ofSeconds(30);
    private static final Path SHOTS = Path.of("target", "ui-screenshots");

    @TempDir
    Path dir;

    @Test
    @Timeout(300)
    void liveClusterKillLeaderPutAndReplay() throws Exception {
        Path chromium = Path.of(System.getProperty("chrome.binary", "/usr/bin/chromium"));
        Path chromedriver = Path.of(System.getProperty("webdriver.chrome.driver", "/usr/bin/chromedriver"));
        if (!Files.isExecutable(chromium) || !Files.isExecutable(chromedriver)) {
            String banner = "\n" + "!".repeat(100) + "\n!!! UiBrowserIT SKIPPED: no " + (Files.isExecutable(chromium) ? ""
                    : chromium + " ") + (Files.isExecutable(chromedriver) ? "" : chromedriver + " ")
                    + "-- install Debian's chromium and chromium-driver (.ci/run does) to test the cluster view\n"
                    + "!".repeat(100) + "\n";
            System.err.println(banner);
            System.out.println(banner);
            Assumptions.abort("chromium/chromedriver not installed: the cluster view's browser test did not run");
        }
        Files.createDirectories(SHOTS);
        try (ProcessCluster c = new ProcessCluster(dir, 3)) {
            c.startAll();
            String leader = c.awaitLeader(START);
            WebDriver driver = startBrowser(chromium, chromedriver);
            try {
                liveView(c, driver, leader);
                replay(c, driver);
            } catch (AssertionError | RuntimeException e) {
                shot(driver, "failure");
                dumpConsole(driver);
                throw e;
            } finally {
                driver.quit();
            }
        }
    }

    private void liveView(ProcessCluster c, WebDriver driver, String leader) throws Exception {
        // The page is served by a node that survives the kill below: its put form posts to the node that served it.
        String viewer = c.http.keySet().stream().filter(id -> !id.equals(leader)).sorted().findFirst().orElseThrow();
        driver.get("http://" + c.http.get(viewer) + "/ui/");
        await(driver, "three members and one leader (" + leader + ")", () ->
                cards(driver).size() == 3 && role(driver, leader).equals("leader")
                        && cards(driver).stream().filter(e -> "leader".equals(e.getAttribute("data-role"))).count() == 1);
        long term = Long.parseLong(card(driver, leader).getAttribute("data-term"));
        shot(driver, "1-three-nodes");

        c.kill(leader);
        await(driver, "the killed leader " + leader + " shown unreachable and a new leader with a term above " + term,
                () -> role(driver, leader).equals("unreachable") && cards(driver).stream().anyMatch(e ->
                        "leader".equals(e.getAttribute("data-role"))
                                && Long.parseLong(e.getAttribute("data-term")) > term));
        assertEquals(3, cards(driver).size(), "a node that stops answering stays on the page");
        shot(driver, "2-leader-killed");

        String newLeader = c.awaitLeader(SEEN);
        driver.findElement(By.id("key")).sendKeys("hello");
        driver.findElement(By.id("value")).sendKeys("raft");
        driver.findElement(By.id("put")).click();
        await(driver, "the put to be acknowledged", () ->
                "ok".equals(driver.findElement(By.id("result")).getAttribute("data-outcome")));
        JsonNode status = c.client.status(c.http.get(newLeader));
        long index = status.get("lastLogIndex").asLong();
        List<String> alive = new ArrayList<>(c.processes.keySet());
        await(driver, "entry " + index + " committed on " + alive, () -> alive.stream().allMatch(id -> {
            List<WebElement> box = card(driver, id).findElements(By.cssSelector(".entry[data-index='" + index + "']"));
            return !box.isEmpty() && box.get(0).getAttribute("class").contains("committed")
                    && !box.get(0).getAttribute("class").contains("uncommitted")
                    && Long.parseLong(card(driver, id).getAttribute("data-commit")) >= index;
        }));
        driver.findElement(By.id("get")).click();
        await(driver, "the get to return the value", () -> driver.findElement(By.id("result")).getText().contains("raft"));
        shot(driver, "3-put-committed");
    }

    private void replay(ProcessCluster c, WebDriver driver) throws Exception {
        Path events = dir.resolve("seed-7.ndjson");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", ProcessCluster.jar().toString(), "simulate", "--nodes", "3", "--seed", "7", "--events",
                events.toString()));
        Process sim = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("simulate.log").toFile()).start();
        assertTrue(sim.waitFor(120, TimeUnit.SECONDS), "simulate did not finish");
        assertEquals(0, sim.exitValue(), Files.readString(dir.resolve("simulate.log")));

        driver.findElement(By.id("trace-file")).sendKeys(events.toAbsolutePath().toString());
        WebElement app = driver.findElement(By.id("app"));
        await(driver, "the replay to load", () -> "replay".equals(app.getAttribute("data-mode"))
                && Integer.parseInt(app.getAttribute("data-events")) > 100);
        assertEquals("0", app.getAttribute("data-pos"));
        WebElement forward = driver.findElement(By.id("forward"));
        for (int i = 0; i < 40; i++) {
            forward.click();
        }
        await(driver, "40 steps forward", () -> "40".equals(app.getAttribute("data-pos")));
        assertEquals(3, cards(driver).size(), "the simulated nodes are drawn");
        driver.findElement(By.id("back")).click();
        await(driver, "one step back", () -> "39".equals(app.getAttribute("data-pos")));
        // Jump to the end: the run elected leaders, so some node leads in a term above 0.
        ((JavascriptExecutor) driver).executeScript(
                "const s = document.getElementById('slider'); s.value = s.max; s.dispatchEvent(new Event('input'));");
        await(driver, "the end of the run, with a leader", () ->
                app.getAttribute("data-pos").equals(app.getAttribute("data-events"))
                        && cards(driver).stream().anyMatch(e -> "leader".equals(e.getAttribute("data-role"))
                        && Long.parseLong(e.getAttribute("data-term")) > 0));
        // Back to the middle, then play a little.
        ((JavascriptExecutor) driver).executeScript(
                "const s = document.getElementById('slider'); s.value = s.max / 2; s.dispatchEvent(new Event('input'));");
        long before = Long.parseLong(app.getAttribute("data-pos"));
        driver.findElement(By.id("play")).click();
        await(driver, "playing to move on", () -> Long.parseLong(app.getAttribute("data-pos")) > before);
        driver.findElement(By.id("play")).click();
        shot(driver, "4-replay");
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static WebDriver startBrowser(Path chromium, Path chromedriver) throws IOException {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1400,1000",
                "--user-data-dir=" + Files.createTempDirectory("raftkv-ui-chromium").toAbsolutePath());
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
        return driver;
    }

    private static List<WebElement> cards(WebDriver driver) {
        return driver.findElements(By.cssSelector("#cards [data-node]"));
    }

    private static WebElement card(WebDriver driver, String id) {
        return driver.findElement(By.cssSelector("#cards [data-node='" + id + "']"));
    }

    private static String role(WebDriver driver, String id) {
        List<WebElement> e = driver.findElements(By.cssSelector("#cards [data-node='" + id + "']"));
        return e.isEmpty() ? "" : String.valueOf(e.get(0).getAttribute("data-role"));
    }

    /** Waits for {@code condition}, re-reading the page; a stale element (the page redrew it) counts as not yet. */
    private static void await(WebDriver driver, String what, Supplier<Boolean> condition) {
        long deadline = System.nanoTime() + SEEN.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.get()) {
                    return;
                }
            } catch (org.openqa.selenium.WebDriverException | NumberFormatException e) {
                last = e;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("timed out after " + SEEN + " waiting for " + what + " on the page", last);
    }

    private static void shot(WebDriver driver, String name) {
        try {
            File png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
            Files.copy(png.toPath(), SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
            System.out.println("screenshot: " + SHOTS.resolve(name + ".png").toAbsolutePath());
        } catch (IOException | RuntimeException e) {
            System.err.println("screenshot " + name + " failed: " + e);
        }
    }

    private static void dumpConsole(WebDriver driver) {
        try {
            for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
                System.err.println("browser console: " + e);
            }
        } catch (RuntimeException e) {
            System.err.println("no browser console: " + e);
        }
    }
}
