package io.raftkv.server.cli;

import io.raftkv.server.Main;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code raftkv simulate ...}: hands every argument to the deterministic simulator's
 * {@code io.raftkv.sim.Simulate.main(String[])} (module raft-sim, a runtime dependency bundled in the jar). Looked
 * up by reflection so that kv-server's code does not depend on the simulator; when it is absent (a custom build) the
 * command says so and exits 2.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = {"Run the deterministic Raft simulator (module raft-sim).",
                "Arguments after 'simulate' go to io.raftkv.sim.Simulate unchanged,",
                "e.g. raftkv simulate --nodes 3 --seeds 100; the simulator's own help: raftkv simulate -- --help"})
public final class SimulateCommand implements Callable<Integer> {
    static final String SIMULATOR_CLASS = "io.raftkv.sim.Simulate";

    /** Everything after {@code simulate} (options included) goes to the simulator untouched. */
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Method main;
        try {
            Class<?> sim = Class.forName(SIMULATOR_CLASS);
            main = sim.getMethod("main", String[].class);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            throw new Main.UsageException("the simulator (" + SIMULATOR_CLASS + ") is not on the classpath: build it"
                    + " with 'mvn -B -q -DskipTests package -pl raft-sim -am' and bin/raftkv will pick it up", e);
        }
        try {
            main.invoke(null, (Object) args.toArray(String[]::new));
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            throw (Error) cause;
        }
        return 0;
    }
}
