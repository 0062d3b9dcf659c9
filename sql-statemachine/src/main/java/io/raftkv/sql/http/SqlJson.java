package io.raftkv.sql.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.raftkv.sql.SqlResult;
import io.raftkv.sql.SqlStatement;
import io.raftkv.sql.SqlValue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** rqlite's JSON: request bodies into statements, results into {@code {"results": [...]}}. */
final class SqlJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SqlJson() {
    }

    /** A request body that is not what the API takes; its message is the 400's error. */
    static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message);
        }
    }

    /**
     * A body of statements: a JSON array whose entries are an SQL string, or an array of the SQL and its
     * positional values ({@code ["INSERT … VALUES(?, ?)", "fiona", 20]}), or of the SQL and one object of named
     * values ({@code ["INSERT … VALUES(:name)", {"name": "fiona"}]}).
     */
    static List<SqlStatement> statements(byte[] body) throws BadRequest {
        JsonNode root;
        try {
            root = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new BadRequest("body is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadRequest("body cannot be read: " + e.getMessage());
        }
        if (root == null || !root.isArray()) {
            throw new BadRequest("body must be a JSON array of statements");
        }
        List<SqlStatement> out = new ArrayList<>();
        int i = 0;
        for (JsonNode entry : root) {
            i++;
            if (entry.isTextual()) {
                out.add(SqlStatement.of(entry.asText()));
            } else if (entry.isArray() && !entry.isEmpty() && entry.get(0).isTextual()) {
                out.add(parameterized(entry, i));
            } else {
                throw new BadRequest("statement " + i + " must be an SQL string or an array [sql, values…]");
            }
        }
        return out;
    }

    private static SqlStatement parameterized(JsonNode entry, int i) throws BadRequest {
        String sql = entry.get(0).asText();
        if (entry.size() == 2 && entry.get(1).isObject()) {
            TreeMap<String, SqlValue> named = new TreeMap<>();
            Iterator<Map.Entry<String, JsonNode>> fields = entry.get(1).fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                named.put(f.getKey(), value(f.getValue(), i));
            }
            return new SqlStatement(sql, List.of(), named);
        }
        List<SqlValue> positional = new ArrayList<>();
        for (int p = 1; p < entry.size(); p++) {
            positional.add(value(entry.get(p), i));
        }
        return new SqlStatement(sql, positional, new TreeMap<>());
    }

    private static SqlValue value(JsonNode v, int statement) throws BadRequest {
        if (v.isNull()) {
            return SqlValue.NULL;
        }
        if (v.isBoolean()) {
            return SqlValue.of(v.asBoolean() ? 1 : 0); // SQLite's booleans are integers
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return SqlValue.of(v.asLong());
        }
        if (v.isNumber()) {
            return SqlValue.of(v.asDouble());
        }
        if (v.isTextual()) {
            return SqlValue.of(v.asText());
        }
        throw new BadRequest("statement " + statement + ": a parameter must be null, a boolean, a number or a string, "
                + "not " + v.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
    }

    /** One result as rqlite writes it. */
    static Map<String, Object> result(SqlResult.StatementResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (r instanceof SqlResult.Changed c) {
            m.put("last_insert_id", c.lastInsertId());
            m.put("rows_affected", c.rowsAffected());
            if (c.returning() != null) {
                rows(m, c.returning());
            }
        } else if (r instanceof SqlResult.Rows rows) {
            rows(m, rows);
        } else if (r instanceof SqlResult.Error e) {
            m.put("error", e.message());
        }
        return m;
    }

    private static void rows(Map<String, Object> m, SqlResult.Rows rows) {
        m.put("columns", rows.columns());
        m.put("types", rows.types());
        if (!rows.values().isEmpty()) { // rqlite leaves "values" out when there are no rows
            List<List<Object>> values = new ArrayList<>(rows.values().size());
            for (List<SqlValue> row : rows.values()) {
                List<Object> out = new ArrayList<>(row.size());
                for (SqlValue v : row) {
                    out.add(json(v));
                }
                values.add(out);
            }
            m.put("values", values);
        }
    }

    /** A value in JSON: numbers, strings, null; a blob as base64 (as rqlite); an infinite real as a string. */
    static Object json(SqlValue v) {
        if (v instanceof SqlValue.Integer i) {
            return i.value();
        }
        if (v instanceof SqlValue.Real r) {
            return Double.isFinite(r.value()) ? r.value() : Double.toString(r.value());
        }
        if (v instanceof SqlValue.Text t) {
            return t.value();
        }
        if (v instanceof SqlValue.Blob b) {
            return Base64.getEncoder().encodeToString(b.value());
        }
        return null;
    }

    static byte[] write(Object value, boolean pretty) {
        try {
            return (pretty ? PRETTY : MAPPER).writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + value, e); // only maps, lists, strings, numbers
        }
    }
}
