package io.raftkv.sim.scenario;

import java.util.ArrayList;
import java.util.List;

/**
 * A scenario file: commands, each followed by {@code ----} and the output it must produce, separated by blank lines
 * and commented with {@code #} lines (see raft-sim/README.md, "Scenario tests"):
 * <pre>
 * # prose about the next command
 * campaign n1
 * ----
 * n1 state pre-candidate term 0
 * n1 send n1-&gt;n2 PreVote(t1 last 0@0)
 *
 * </pre>
 * An output block ends at the first blank line. A command with no {@code ----} has no expected output yet: the
 * runner reports it, and {@code -Dscenario.rewrite=true} fills it in. {@link #render} writes the file back with new
 * outputs and everything else (comments, blank lines, commands) as it was.
 */
final class ScenarioFile {

    static final String SEPARATOR = "----";

    /**
     * One command. {@code prose} holds the comment and blank lines before it, verbatim; {@code line} is the command's
     * 1-based line number; {@code expected} is null when the file has no output for it yet.
     */
    record Block(List<String> prose, int line, String command, List<String> expected) {
    }

    private final List<Block> blocks;
    private final List<String> trailer;

    private ScenarioFile(List<Block> blocks, List<String> trailer) {
        this.blocks = List.copyOf(blocks);
        this.trailer = List.copyOf(trailer);
    }

    List<Block> blocks() {
        return blocks;
    }

    static ScenarioFile parse(List<String> lines) {
        List<Block> blocks = new ArrayList<>();
        List<String> prose = new ArrayList<>();
        int i = 0;
        while (i < lines.size()) {
            String line = lines.get(i);
            if (line.isBlank() || line.startsWith("#")) {
                prose.add(line);
                i++;
                continue;
            }
            if (line.equals(SEPARATOR)) {
                throw new IllegalArgumentException("line " + (i + 1) + ": '" + SEPARATOR + "' without a command before it");
            }
            int commandLine = i + 1;
            i++;
            List<String> expected = null;
            if (i < lines.size() && lines.get(i).equals(SEPARATOR)) {
                expected = new ArrayList<>();
                i++;
                while (i < lines.size() && !lines.get(i).isBlank()) {
                    expected.add(lines.get(i));
                    i++;
                }
            }
            blocks.add(new Block(List.copyOf(prose), commandLine, line.strip(), expected));
            prose.clear();
        }
        return new ScenarioFile(blocks, prose);
    }

    /** The file with {@code outputs.get(k)} as the output of block k (an empty output is written as {@code ok}). */
    String render(List<List<String>> outputs) {
        if (outputs.size() != blocks.size()) {
            throw new IllegalArgumentException(outputs.size() + " outputs for " + blocks.size() + " commands");
        }
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < blocks.size(); k++) {
            Block b = blocks.get(k);
            if (k > 0 && (b.prose().isEmpty() || !b.prose().get(0).isBlank())) {
                sb.append('\n'); // an output block ends at a blank line: keep the next command out of it
            }
            b.prose().forEach(l -> sb.append(l).append('\n'));
            sb.append(b.command()).append('\n').append(SEPARATOR).append('\n');
            for (String l : displayed(outputs.get(k))) {
                sb.append(l).append('\n');
            }
        }
        trailer.forEach(l -> sb.append(l).append('\n'));
        return sb.toString();
    }

    /** What an output looks like in the file. */
    static List<String> displayed(List<String> output) {
        return output.isEmpty() ? List.of("ok") : output;
    }
}
