package io.raftkv.transport.netty;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Mutual TLS between nodes: every node presents {@code certChain}/{@code privateKey} and accepts only peers whose
 * certificate chains up to {@code trustedCa}. All files are PEM; the key is unencrypted PKCS#8
 * ({@code BEGIN PRIVATE KEY}).
 *
 * @param verifyHostname when true (Netty 4.2's default for clients) a node also checks that the peer's
 *                       certificate names the host it dialled (a SAN entry with that IP or DNS name). Turn off
 *                       only if certificates identify nodes by something other than their address.
 */
public record TlsConfig(Path certChain, Path privateKey, Path trustedCa, boolean verifyHostname) {
    public TlsConfig {
        Objects.requireNonNull(certChain, "certChain");
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(trustedCa, "trustedCa");
    }

    public TlsConfig(Path certChain, Path privateKey, Path trustedCa) {
        this(certChain, privateKey, trustedCa, true);
    }
}
