package io.raftkv.bench.load;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * {@code --driver sql}: single-row inserts and indexed lookups through the SQL plugin's HTTP API
 * ({@link SqlHttpDriver}), one keep-alive connection per client. The first connect creates the table (retried for
 * up to ten seconds while the cluster elects its first leader).
 */
public final class SqlHttpDriverFactory extends HttpDriverFactory {
    private static final Map<String, String> LEVELS = Map.of("linearizable", "linearizable", "lease", "weak",
            "stale", "none");
    private boolean schemaCreated;

    @Override
    public String name() {
        return "sql";
    }

    @Override
    public synchronized KvDriver connect(String endpoint, String readLevel, Duration timeout) throws Exception {
        String level = LEVELS.get(readLevel);
        if (level == null) {
            throw new IllegalArgumentException("the SQL plugin has no read level '" + readLevel + "'");
        }
        SqlHttpDriver driver = new SqlHttpDriver(bootstrap(timeout), endpoint, level, timeout);
        if (!schemaCreated) {
            createSchema(driver);
            schemaCreated = true;
        }
        return driver;
    }

    private static void createSchema(SqlHttpDriver driver) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                driver.createSchema().toCompletableFuture().get(10, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not create the bench table: " + e.getCause(), e.getCause());
                }
                Thread.sleep(200);
            }
        }
    }
}
