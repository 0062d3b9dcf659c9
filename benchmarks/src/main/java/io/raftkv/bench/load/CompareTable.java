package io.raftkv.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prints the side-by-side table of {@code benchmarks/compare-etcd.sh} from the kvbench results it wrote:
 * {@code DIR/<system>-<workload>.json} for systems {@code raftkv} and {@code etcd}. A missing file (etcd not
 * installed, a run that failed) prints as "-", so the table is still printed for the system that ran.
 * <p>Usage: {@code java -cp kvbench.jar io.raftkv.bench.load.CompareTable DIR [--systems=A,B] workload=label ...};
 * {@code --systems} names two other result prefixes to compare (e.g. {@code sessions,plain} for
 * {@code benchmarks/session-cost.sh}).
 */
public final class CompareTable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CompareTable() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        String a = "raftkv";
        String b = "etcd";
        int first = 1;
        if (args.length > 1 && args[1].startsWith("--systems=")) {
            String[] systems = args[1].substring("--systems=".length()).split(",", 2);
            a = systems[0];
            b = systems[1];
            first = 2;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"workload", a + " ops/s", "p50 ms", "p99 ms", "err", "srv µs/op", "gen µs/op",
                b + " ops/s", "p50 ms", "p99 ms", "err", "srv µs/op", "gen µs/op", "ops " + a + "/" + b,
                "srv µs/op " + a + "/" + b});
        for (int i = first; i < args.length; i++) {
            String[] wl = args[i].split("=", 2);
            JsonNode r = read(dir.resolve(a + "-" + wl[0] + ".json"));
            JsonNode e = read(dir.resolve(b + "-" + wl[0] + ".json"));
            List<String> row = new ArrayList<>();
            row.add(wl.length > 1 ? wl[1] : wl[0]);
            cells(r, row);
            cells(e, row);
            row.add(ratio(r, e, "opsPerSecond"));
            row.add(ratio(r == null ? null : r.path("cpu"), e == null ? null : e.path("cpu"), "serversCpuMicrosPerOp"));
            rows.add(row.toArray(new String[0]));
        }
        print(rows);
    }

    private static String ratio(JsonNode a, JsonNode b, String field) {
        if (a == null || b == null || !a.path(field).isNumber() || !(b.path(field).asDouble() > 0)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2fx", a.path(field).asDouble() / b.path(field).asDouble());
    }

    private static JsonNode read(Path p) throws IOException {
        return Files.isRegularFile(p) ? JSON.readTree(p.toFile()) : null;
    }

    /**
     * ops/s of the run; p50/p99 of its main operation (put for write-only runs, get when reads dominate); errors of
     * both operations; servers' (all nodes summed) and generator's CPU microseconds per operation in the measured
     * interval.
     */
    private static void cells(JsonNode r, List<String> row) {
        if (r == null) {
            row.addAll(List.of("-", "-", "-", "-", "-", "-"));
            return;
        }
        JsonNode ops = r.path("operations");
        JsonNode main = r.path("config").path("readRatio").asDouble() > 0.5 ? ops.path("get") : ops.path("put");
        long errors = 0;
        for (JsonNode op : ops) {
            for (JsonNode n : op.path("errors")) {
                errors += n.asLong();
            }
        }
        row.add(String.format(Locale.ROOT, "%,d", r.path("opsPerSecond").asLong()));
        row.add(String.format(Locale.ROOT, "%.1f", main.path("p50Ms").asDouble()));
        row.add(String.format(Locale.ROOT, "%.1f", main.path("p99Ms").asDouble()));
        row.add(Long.toString(errors));
        JsonNode cpu = r.path("cpu");
        row.add(cpu.path("serversCpuMicrosPerOp").isNumber()
                ? String.format(Locale.ROOT, "%.0f", cpu.path("serversCpuMicrosPerOp").asDouble()) : "-");
        row.add(cpu.path("generatorCpuMicrosPerOp").isNumber()
                ? String.format(Locale.ROOT, "%.0f", cpu.path("generatorCpuMicrosPerOp").asDouble()) : "-");
    }

    /** A Markdown table, columns padded so it also reads well in a terminal. */
    private static void print(List<String[]> rows) {
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (int n = 0; n < rows.size(); n++) {
            StringBuilder sb = new StringBuilder("|");
            for (int i = 0; i < width.length; i++) {
                sb.append(' ').append(String.format("%-" + width[i] + "s", rows.get(n)[i])).append(" |");
            }
            System.out.println(sb);
            if (n == 0) {
                StringBuilder sep = new StringBuilder("|");
                for (int w : width) {
                    sep.append('-').append("-".repeat(w)).append("-|");
                }
                System.out.println(sep);
            }
        }
    }
}
