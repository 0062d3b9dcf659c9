package io.raftkv.server.plugin;

import io.raftkv.plugin.StateMachinePlugin;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The state machine plugins on the class path, found with {@link ServiceLoader} ({@code --state-machine NAME}).
 * Nothing here knows a plugin by name: the KV store is found the same way as a user's.
 */
public final class Plugins {
    /** What {@link StateMachinePlugin#name()} may be: it names a directory, so no separators or dots. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");

    private Plugins() {
    }

    /** Every plugin on the class path by name (sorted). */
    public static Map<String, StateMachinePlugin> available() {
        Map<String, StateMachinePlugin> byName = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        ServiceLoader<StateMachinePlugin> loader = ServiceLoader.load(StateMachinePlugin.class, classLoader());
        for (ServiceLoader.Provider<StateMachinePlugin> provider : loader.stream().toList()) {
            StateMachinePlugin plugin;
            try {
                plugin = provider.get();
            } catch (ServiceConfigurationError e) {
                problems.add(provider.type().getName() + ": " + e.getMessage());
                continue;
            }
            String name = plugin.name();
            if (name == null || !NAME.matcher(name).matches()) {
                problems.add(provider.type().getName() + " has an invalid name '" + name + "' (use a-z, 0-9, -)");
                continue;
            }
            StateMachinePlugin other = byName.putIfAbsent(name, plugin);
            if (other != null && other.getClass() != plugin.getClass()) {
                problems.add("two plugins are named '" + name + "': " + other.getClass().getName() + " and "
                        + plugin.getClass().getName());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("broken state machine plugins on the class path: "
                    + String.join("; ", problems));
        }
        return byName;
    }

    /**
     * The plugin named {@code name}.
     *
     * @throws IllegalArgumentException if there is none, naming the plugins there are
     */
    public static StateMachinePlugin named(String name) {
        Map<String, StateMachinePlugin> all = available();
        StateMachinePlugin plugin = all.get(name);
        if (plugin == null) {
            throw new IllegalArgumentException("no state machine plugin named '" + name + "' on the class path"
                    + " (have " + String.join(", ", all.keySet()) + "; a plugin's jar registers it in"
                    + " META-INF/services/" + StateMachinePlugin.class.getName() + ")");
        }
        return plugin;
    }

    private static ClassLoader classLoader() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : Plugins.class.getClassLoader();
    }
}
