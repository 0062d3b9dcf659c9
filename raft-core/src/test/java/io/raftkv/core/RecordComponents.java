package io.raftkv.core;

import java.lang.reflect.RecordComponent;
import java.util.Set;
import java.util.TreeSet;

/** Test helper: compares two records of one type component by component. */
public final class RecordComponents {

    private RecordComponents() {
    }

    /** The names of the components whose values differ ({@code differ}) or are equal (not {@code differ}). */
    public static <R extends Record> Set<String> differing(R a, R b, boolean differ) {
        Set<String> names = new TreeSet<>();
        for (RecordComponent c : a.getClass().getRecordComponents()) {
            try {
                boolean same = c.getAccessor().invoke(a).equals(c.getAccessor().invoke(b));
                if (same != differ) {
                    names.add(c.getName());
                }
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }
        return names;
    }
}
