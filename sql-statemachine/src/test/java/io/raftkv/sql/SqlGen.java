package io.raftkv.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

/** Seeded generators of values, statements, commands and results for property tests. */
final class SqlGen {
    private SqlGen() {
    }

    static SqlValue value(SplittableRandom r) {
        return switch (r.nextInt(5)) {
            case 0 -> SqlValue.NULL;
            case 1 -> SqlValue.of(r.nextLong());
            case 2 -> SqlValue.of(r.nextDouble() * 1e6 - 5e5);
            case 3 -> SqlValue.of(text(r));
            default -> {
                byte[] b = new byte[r.nextInt(20)];
                r.nextBytes(b);
                yield SqlValue.of(b);
            }
        };
    }

    static String text(SplittableRandom r) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(12);
        for (int i = 0; i < n; i++) {
            // Mostly ASCII, some multi-byte and a supplementary character now and then.
            int kind = r.nextInt(10);
            sb.appendCodePoint(kind < 7 ? 'a' + r.nextInt(26) : kind < 9 ? 0x00e0 + r.nextInt(30) : 0x1F600 + r.nextInt(10));
        }
        return sb.toString();
    }

    static SqlStatement statement(SplittableRandom r) {
        List<SqlValue> positional = new ArrayList<>();
        TreeMap<String, SqlValue> named = new TreeMap<>();
        if (r.nextBoolean()) {
            for (int i = r.nextInt(4); i > 0; i--) {
                positional.add(value(r));
            }
        } else {
            for (int i = r.nextInt(4); i > 0; i--) {
                named.put("p" + r.nextInt(10), value(r));
            }
        }
        return new SqlStatement("INSERT INTO t VALUES (" + text(r) + ")", positional, named);
    }

    static SqlCommand command(SplittableRandom r) {
        List<SqlStatement> statements = new ArrayList<>();
        for (int i = r.nextInt(4); i > 0; i--) {
            statements.add(statement(r));
        }
        return new SqlCommand(statements, r.nextBoolean(), r.nextLong(), r.nextLong());
    }

    static SqlResult.Rows rows(SplittableRandom r) {
        int columns = r.nextInt(4);
        List<String> names = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (int i = 0; i < columns; i++) {
            names.add(text(r));
            types.add(r.nextBoolean() ? "integer" : "");
        }
        List<List<SqlValue>> values = new ArrayList<>();
        for (int i = columns == 0 ? 0 : r.nextInt(4); i > 0; i--) {
            List<SqlValue> row = new ArrayList<>();
            for (int c = 0; c < columns; c++) {
                row.add(value(r));
            }
            values.add(row);
        }
        return new SqlResult.Rows(names, types, values);
    }

    static SqlResult result(SplittableRandom r) {
        return switch (r.nextInt(3)) {
            case 0 -> new SqlResult.Invalid(text(r));
            case 1 -> {
                byte[] d = new byte[32];
                r.nextBytes(d);
                yield new SqlResult.StateDigest(d, r.nextLong());
            }
            default -> {
                List<SqlResult.StatementResult> results = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) {
                    results.add(switch (r.nextInt(3)) {
                        case 0 -> new SqlResult.Changed(r.nextLong(), r.nextLong(), r.nextBoolean() ? rows(r) : null);
                        case 1 -> rows(r);
                        default -> new SqlResult.Error(text(r));
                    });
                }
                yield new SqlResult.Results(results);
            }
        };
    }
}
