package io.raftkv.server;

import io.raftkv.server.cli.DemoCommand;
import io.raftkv.server.cli.ServeCommand;
import io.raftkv.server.cli.SimulateCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * {@code raftkv}: the command line of the KV server (launched by {@code bin/raftkv}).
 * <ul>
 *   <li>{@code serve} runs one server of a static cluster;</li>
 *   <li>{@code demo} runs a local 3-node cluster as three child processes;</li>
 *   <li>{@code simulate} runs the deterministic simulator (module raft-sim) if it is on the classpath.</li>
 * </ul>
 * Exit codes: 0 success, 1 runtime failure, 2 bad usage (unknown flag, bad value, unusable data directory).
 */
@Command(name = "raftkv", mixinStandardHelpOptions = true, version = "raftkv 0.1.0",
        description = "A replicated key-value store on Raft.",
        subcommands = {ServeCommand.class, DemoCommand.class, SimulateCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: serve, demo or simulate");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code (tests call this instead of {@link #main}). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        // A bad flag is one line on stderr and exit 2, not a page of usage.
        cli.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("raftkv: " + ex.getMessage() + " (try: " + ex.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help)");
            err.flush();
            return EXIT_USAGE;
        });
        cli.setExecutionExceptionHandler((ex, c, parseResult) -> {
            PrintWriter err = c.getErr();
            if (ex instanceof UsageException) {
                err.println("raftkv: " + ex.getMessage());
                err.flush();
                return EXIT_USAGE;
            }
            err.println("raftkv: " + ex);
            err.flush();
            return 1;
        });
        return cli.execute(args);
    }

    /** A problem with what the user asked for (bad address, unusable data directory): exit 2, one line. */
    public static final class UsageException extends RuntimeException {
        public UsageException(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }
}
