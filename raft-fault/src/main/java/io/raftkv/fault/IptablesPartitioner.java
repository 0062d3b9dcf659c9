package io.raftkv.fault;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Network partitions between loopback addresses with iptables: every rule lives in a chain of our own,
 * {@code RAFTKV_NEMESIS_<pid>}, jumped to from {@code OUTPUT} (loopback packets pass OUTPUT once). Cutting a pair
 * drops its packets both ways, so established TCP connections go silent exactly like a real partition (no reset).
 *
 * <p>Nothing may outlive the run: {@link #close} unlinks and deletes the chain, a JVM shutdown hook does the same
 * if the harness dies, and {@link #create} first removes chains left behind by harness JVMs that no longer exist
 * (e.g. after a {@code kill -9} of Maven). The pid in the name keeps two concurrent harnesses (a soak and CI) from
 * flushing each other's rules.
 *
 * <p>iptables is optional: {@link #create} returns empty, after logging one line, when it is missing, we are not
 * root, or the kernel refuses the rule — the harness then runs without the partition nemesis.
 */
public final class IptablesPartitioner implements AutoCloseable {
    private static final String PREFIX = "RAFTKV_NEMESIS_";
    private static final Pattern OUR_CHAIN = Pattern.compile("^-N (" + PREFIX + "(\\d+))$", Pattern.MULTILINE);

    private final String chain;
    private final Thread shutdownHook;
    private boolean closed;

    private IptablesPartitioner(String chain) {
        this.chain = chain;
        this.shutdownHook = new Thread(this::removeChain, "raft-fault-iptables");
    }

    /** Sets up an empty chain, or says in one line why partitions are unavailable. */
    public static Optional<IptablesPartitioner> create(Consumer<String> log) {
        String chain = PREFIX + ProcessHandle.current().pid();
        try {
            removeStaleChains(log);
            run("-N", chain);
            IptablesPartitioner p = new IptablesPartitioner(chain);
            Runtime.getRuntime().addShutdownHook(p.shutdownHook);
            try {
                run("-I", "OUTPUT", "-j", chain);
                // Probe a real rule on addresses no node uses, so a refusal shows up here and not mid-run.
                p.cut(List.of("127.0.0.253"), List.of("127.0.0.254"));
                p.heal();
            } catch (IOException | RuntimeException e) {
                p.close();
                throw e;
            }
            return Optional.of(p);
        } catch (IOException | RuntimeException e) {
            log.accept("iptables unavailable (" + e.getMessage() + "): running WITHOUT the partition nemesis");
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Drops every packet between a host of {@code a} and a host of {@code b}, in both directions. */
    public synchronized void cut(Collection<String> a, Collection<String> b) throws IOException, InterruptedException {
        for (String x : a) {
            for (String y : b) {
                run("-A", chain, "-s", x, "-d", y, "-j", "DROP");
                run("-A", chain, "-s", y, "-d", x, "-j", "DROP");
            }
        }
    }

    /** Removes every rule: all nodes see each other again. */
    public synchronized void heal() throws IOException, InterruptedException {
        run("-F", chain);
    }

    private synchronized void removeChain() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            deleteChain(chain);
        } catch (IOException e) {
            System.err.println("raft-fault: could not remove iptables chain " + chain + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteChain(String chain) throws IOException, InterruptedException {
        // Unlink every jump (there may be more than one after a crash between -I and -D), then flush and delete.
        while (tryRun("-D", "OUTPUT", "-j", chain)) {
            // keep unlinking
        }
        tryRun("-F", chain);
        if (!tryRun("-X", chain) && chainExists(chain)) {
            throw new IOException("iptables -X " + chain + " failed");
        }
    }

    private static boolean chainExists(String chain) throws IOException, InterruptedException {
        return tryRun("-S", chain);
    }

    private static void removeStaleChains(Consumer<String> log) throws IOException, InterruptedException {
        Matcher m = OUR_CHAIN.matcher(output("-S"));
        List<String[]> found = new ArrayList<>();
        while (m.find()) {
            found.add(new String[] {m.group(1), m.group(2)});
        }
        for (String[] f : found) {
            if (ProcessHandle.of(Long.parseLong(f[1])).map(ProcessHandle::isAlive).orElse(false)) {
                continue; // another harness's chain: not ours to touch
            }
            log.accept("removing iptables chain " + f[0] + " left behind by a dead harness");
            deleteChain(f[0]);
        }
    }

    @Override
    public void close() {
        removeChain();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to
        }
    }

    private static void run(String... args) throws IOException, InterruptedException {
        Result r = exec(args);
        if (r.exit != 0) {
            throw new IOException("iptables " + String.join(" ", args) + " exited " + r.exit + ": " + r.output.trim());
        }
    }

    private static boolean tryRun(String... args) throws IOException, InterruptedException {
        return exec(args).exit == 0;
    }

    private static String output(String... args) throws IOException, InterruptedException {
        Result r = exec(args);
        if (r.exit != 0) {
            throw new IOException("iptables " + String.join(" ", args) + " exited " + r.exit + ": " + r.output.trim());
        }
        return r.output;
    }

    private record Result(int exit, String output) {
    }

    private static Result exec(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("iptables");
        cmd.add("-w"); // wait (bounded) for the xtables lock instead of failing when another iptables runs
        cmd.add("10");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("iptables " + String.join(" ", args) + " did not finish in 30 s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
