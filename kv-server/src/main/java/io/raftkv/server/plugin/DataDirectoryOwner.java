package io.raftkv.server.plugin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Which plugin a data directory belongs to: its log holds that plugin's commands, and another plugin would apply
 * them as garbage (every server alike, so nothing would even diverge: the data would just be gone). The first start
 * writes the name to {@code DATA/state-machine}; every later start must name the same plugin.
 */
public final class DataDirectoryOwner {
    public static final String FILE = "state-machine";

    private DataDirectoryOwner() {
    }

    /**
     * Records {@code plugin} as the owner of {@code dataDir} (locked by this process), or checks that it is. A
     * directory without the file (written before plugins existed, or by a first start that crashed before writing
     * it) is claimed by whoever starts it.
     *
     * @throws IOException if the directory belongs to another plugin (naming both), or the file cannot be written
     */
    public static void claim(Path dataDir, String plugin) throws IOException {
        Path file = dataDir.resolve(FILE);
        if (Files.exists(file)) {
            String owner = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (!owner.equals(plugin)) {
                throw new IOException("data directory " + dataDir + " belongs to the '" + owner + "' state machine"
                        + " (its log holds that plugin's commands); start it with --state-machine " + owner
                        + ", or give --state-machine " + plugin + " a data directory of its own");
            }
            return;
        }
        Path tmp = dataDir.resolve(FILE + ".tmp");
        Files.writeString(tmp, plugin + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
