package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.testing.TestServer;
import org.jgroups.JChannel;
import org.jgroups.protocols.SYM_ENCRYPT;
import org.junit.jupiter.api.Test;

/** The member-to-member stack as built (not connected): encryption settings. */
class ClusterStackTest {
    @Test
    void messagesAreEncryptedWithAesCbcAndIvsFromTheDrbg() throws Exception {
        JChannel ch = ClusterStack.build(TestServer.config("--cluster", "true", "--cluster-members",
                "127.0.0.1:7800", "--cluster-secret", "unit-test-secret-0123456789").cluster());
        try {
            SYM_ENCRYPT enc = ch.getProtocolStack().findProtocol(SYM_ENCRYPT.class);
            assertThat(enc).as("SYM_ENCRYPT in the stack").isNotNull();
            assertThat(enc.symAlgorithm()).isEqualTo("AES/CBC/PKCS5Padding");
            assertThat(enc.simIvLength()).isEqualTo(16);
            // not NativePRNG (a /dev/urandom read under one lock every other message)
            assertThat(enc.secureRandom().getAlgorithm()).isEqualTo("DRBG");
        } finally {
            ch.close();
        }
    }
}
