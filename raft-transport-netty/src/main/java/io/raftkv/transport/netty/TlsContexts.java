package io.raftkv.transport.netty;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import javax.net.ssl.SSLException;

/** Builds Netty {@link SslContext}s for mutual TLS from the PEM files of a {@link TlsConfig}. */
final class TlsContexts {
    private TlsContexts() {
    }

    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    /** The accepting side: presents our certificate and requires one from the peer (mutual authentication). */
    static SslContext server(TlsConfig tls) throws SSLException {
        return SslContextBuilder.forServer(tls.certChain().toFile(), tls.privateKey().toFile())
                .trustManager(tls.trustedCa().toFile())
                .clientAuth(ClientAuth.REQUIRE)
                .protocols(PROTOCOLS)
                .build();
    }

    /** The dialling side: presents our certificate and checks the peer's against the trusted CA. */
    static SslContext client(TlsConfig tls) throws SSLException {
        return SslContextBuilder.forClient()
                .keyManager(tls.certChain().toFile(), tls.privateKey().toFile())
                .trustManager(tls.trustedCa().toFile())
                .endpointIdentificationAlgorithm(tls.verifyHostname() ? "HTTPS" : null)
                .protocols(PROTOCOLS)
                .build();
    }
}
