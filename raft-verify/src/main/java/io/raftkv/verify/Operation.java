package io.raftkv.verify;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Objects;

/**
 * One client operation on one key, as a client saw it: what it asked, when it asked and heard back (from one
 * monotonic clock, e.g. {@link System#nanoTime()}), and what it heard.
 *
 * <p>This is also the JSON shape of one line of a saved history (see {@link HistoryJson}); {@code null} fields are
 * omitted. Values are strings and {@code null} means "absent" everywhere:
 * <pre>{@code
 * {"id":7,"process":2,"key":"k1","kind":"WRITE","value":"v7","invokedAt":1000,"completedAt":2500,"outcome":"OK"}
 * {"id":8,"process":3,"key":"k1","kind":"READ","invokedAt":1200,"completedAt":2600,"outcome":"OK","output":"v7"}
 * {"id":9,"process":4,"key":"k1","kind":"CAS","expected":"v7","value":"v9","invokedAt":2700,"completedAt":9000,
 *  "outcome":"OK","swapped":false}
 * }</pre>
 *
 * @param id          unique within a history; reports name operations by it
 * @param process     the client that issued it; a client issues one operation at a time
 * @param node        optional: the server the request was sent to. {@link StaleReadChecker} checks monotonic reads
 *                    per (process, node); a harness that restarts a node should give it a new label
 * @param key         the key
 * @param kind        read, stale read, write or compare-and-set
 * @param expected    CAS only: the value the key must have for the swap ({@code null}: must be absent)
 * @param value       WRITE and CAS: the value to set ({@code null}: delete)
 * @param invokedAt   clock reading just before the request was sent
 * @param completedAt clock reading just after the answer arrived (for {@link Outcome#UNKNOWN}: when the client
 *                    gave up; informative only, the checker treats an unknown operation as never completing)
 * @param outcome     OK, FAIL or UNKNOWN
 * @param output      READ/STALE_READ with outcome OK: the value read ({@code null}: absent); otherwise null
 * @param swapped     CAS with outcome OK: whether the swap happened (false = HTTP 409); otherwise null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Operation(
        @JsonProperty(value = "id", required = true) long id,
        @JsonProperty(value = "process", required = true) int process,
        @JsonProperty("node") String node,
        @JsonProperty(value = "key", required = true) String key,
        @JsonProperty(value = "kind", required = true) OpKind kind,
        @JsonProperty("expected") String expected,
        @JsonProperty("value") String value,
        @JsonProperty(value = "invokedAt", required = true) long invokedAt,
        @JsonProperty(value = "completedAt", required = true) long completedAt,
        @JsonProperty(value = "outcome", required = true) Outcome outcome,
        @JsonProperty("output") String output,
        @JsonProperty("swapped") Boolean swapped) {

    public Operation {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(outcome, "outcome");
        if (id < 0) {
            throw new IllegalArgumentException("operation id must be >= 0, was " + id);
        }
        if (completedAt < invokedAt) {
            throw new IllegalArgumentException("operation " + id + " completes (" + completedAt
                    + ") before it is invoked (" + invokedAt + ")");
        }
        switch (kind) {
            case READ, STALE_READ -> {
                require(expected == null && value == null, id, "a read has no expected value or value to write");
                require(swapped == null, id, "a read has no 'swapped' result");
                require(outcome == Outcome.OK || output == null, id, "only a read with outcome OK has an output");
            }
            case WRITE -> {
                require(expected == null, id, "a write has no expected value");
                require(output == null && swapped == null, id, "a write has no output");
            }
            case CAS -> {
                require(output == null, id, "a compare-and-set reports 'swapped', not 'output'");
                require((outcome == Outcome.OK) == (swapped != null), id,
                        "a compare-and-set has 'swapped' exactly when its outcome is OK");
            }
        }
    }

    private static void require(boolean condition, long id, String message) {
        if (!condition) {
            throw new IllegalArgumentException("operation " + id + ": " + message);
        }
    }

    /** True when the client does not know whether this operation took effect. */
    @JsonIgnore
    public boolean isUnknown() {
        return outcome == Outcome.UNKNOWN;
    }

    /**
     * True when this operation may have changed the key: a write or CAS that is OK (a CAS only if it swapped) or
     * UNKNOWN. FAILed operations and CAS answered 409 cannot have written.
     */
    @JsonIgnore
    public boolean mayHaveWritten() {
        return switch (kind) {
            case WRITE -> outcome != Outcome.FAIL;
            case CAS -> outcome == Outcome.UNKNOWN || (outcome == Outcome.OK && swapped);
            case READ, STALE_READ -> false;
        };
    }

    /** The same operation with another id (used when histories are merged or extended). */
    public Operation withId(long newId) {
        return new Operation(newId, process, node, key, kind, expected, value, invokedAt, completedAt, outcome,
                output, swapped);
    }

    @Override
    public String toString() {
        return OpFormat.describe(this, 0);
    }
}
