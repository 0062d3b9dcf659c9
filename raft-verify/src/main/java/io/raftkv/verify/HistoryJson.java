package io.raftkv.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Saves and loads histories as JSON, so that a failing run can be kept and re-checked offline
 * ({@link CheckHistory}).
 *
 * <p>The written format is JSON Lines: one {@link Operation} object per line, in id order — easy to {@code grep},
 * to {@code tail} while a run is going, and to cut down by hand. The reader also accepts a single JSON array of the
 * same objects. Blank lines are ignored. Unknown fields are rejected, so that a typo in a hand-edited history
 * ({@code "swaped"}) is an error rather than a silently different history.
 */
public final class HistoryJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final ObjectReader OP_READER = MAPPER.readerFor(Operation.class);
    private static final ObjectReader ARRAY_READER = MAPPER.readerFor(Operation[].class);
    private static final ObjectWriter OP_WRITER = MAPPER.writerFor(Operation.class);

    private HistoryJson() {
    }

    /** Writes {@code history} to {@code file} as JSON Lines (replacing the file). */
    public static void write(History history, Path file) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            write(history, out);
        }
    }

    /** Writes {@code history} as JSON Lines. Does not close {@code out}. */
    public static void write(History history, Writer out) throws IOException {
        for (Operation op : history.operations()) {
            out.write(toJson(op));
            out.write('\n');
        }
        out.flush();
    }

    /** One operation as one line of JSON (no newline). */
    public static String toJson(Operation op) {
        try {
            return OP_WRITER.writeValueAsString(op);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + op, e); // plain strings and numbers: cannot happen
        }
    }

    /** Reads a history from {@code file} (JSON Lines or one JSON array). */
    public static History read(Path file) throws IOException, HistoryFormatException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(in);
        } catch (HistoryFormatException e) {
            throw new HistoryFormatException(file + ": " + e.getMessage(), e.getCause());
        }
    }

    /** Reads a history from a string (JSON Lines or one JSON array). */
    public static History read(String json) throws HistoryFormatException {
        try {
            return read(new StringReader(json));
        } catch (IOException e) {
            throw new IllegalStateException(e); // a StringReader does not fail
        }
    }

    /** Reads a history (JSON Lines or one JSON array). Does not close {@code in}. */
    public static History read(Reader in) throws IOException, HistoryFormatException {
        BufferedReader reader = in instanceof BufferedReader b ? b : new BufferedReader(in);
        reader.mark(1 << 16);
        int first = firstNonWhitespace(reader);
        reader.reset();
        List<Operation> ops = first == '[' ? readArray(reader) : readLines(reader);
        try {
            return new History(ops);
        } catch (IllegalArgumentException e) {
            throw new HistoryFormatException(e.getMessage(), e);
        }
    }

    private static int firstNonWhitespace(BufferedReader reader) throws IOException {
        // Only peeks: the caller resets. A history that starts with >64 KiB of whitespace is not supported.
        for (int i = 0; i < (1 << 16) - 1; i++) {
            int c = reader.read();
            if (c < 0 || !Character.isWhitespace(c)) {
                return c;
            }
        }
        return -1;
    }

    private static List<Operation> readArray(BufferedReader reader) throws IOException, HistoryFormatException {
        try {
            Operation[] ops = ARRAY_READER.readValue(reader);
            return List.of(ops);
        } catch (JsonProcessingException e) {
            throw new HistoryFormatException("bad history (JSON array): " + explain(e), e);
        }
    }

    private static List<Operation> readLines(BufferedReader reader) throws IOException, HistoryFormatException {
        List<Operation> ops = new ArrayList<>();
        int lineNumber = 0;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            try {
                ops.add(OP_READER.readValue(line));
            } catch (JsonProcessingException e) {
                throw new HistoryFormatException("line " + lineNumber + ": " + explain(e), e);
            }
        }
        return ops;
    }

    private static String explain(JsonProcessingException e) {
        // A failed record constructor (our validation) arrives wrapped; its own message is the useful one.
        Throwable cause = e.getCause();
        if (e instanceof JsonMappingException && cause instanceof IllegalArgumentException) {
            return cause.getMessage();
        }
        return e.getOriginalMessage();
    }
}
