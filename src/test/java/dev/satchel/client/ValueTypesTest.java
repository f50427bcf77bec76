package dev.satchel.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link Token}, {@link Expiry}, {@link CloseStatus} and {@link ClientOptions}. */
class ValueTypesTest {

    @Test
    void tokenRemembersWhetherItIsAStringOrANumber() {
        Token string = Token.of(TextNode.valueOf("42"));
        Token number = Token.of(IntNode.valueOf(42));

        assertThat(string.isNumeric()).isFalse();
        assertThat(number.isNumeric()).isTrue();
        assertThat(string.text()).isEqualTo(number.text()).isEqualTo("42");
        assertThat(string).isNotEqualTo(number);
        assertThat(string.toString()).isEqualTo("\"42\"");
        assertThat(number.toString()).isEqualTo("42");
        assertThat(Token.of(LongNode.valueOf(42))).isEqualTo(number).hasSameHashCodeAs(number);
        assertThat(Token.ofString("42")).isEqualTo(string);
    }

    @Test
    void tokenRejectsOtherJsonTypes() {
        assertThatThrownBy(() -> Token.of(BooleanNode.TRUE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Token.fromResponse(Json.parseResponse("{\"st\":101,\"m\":\"bad token\"}")))
                .isInstanceOf(SatchelClientException.class).hasMessageContaining("bad token");
    }

    @Test
    void expiryRejectsNegativeDurations() {
        assertThat(Expiry.of(5).toJson().toString())
                .isEqualTo("{\"duration\":5,\"deleteSession\":false,\"extendOnSetAdd\":false,\"extendOnGet\":false}");
        assertThat(Expiry.NEVER.durationSeconds()).isZero();
        assertThatThrownBy(() -> Expiry.of(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void closeStatusReadsWell() {
        assertThat(new CloseStatus(1009, "too big")).hasToString("1009 (too big)");
        assertThat(new CloseStatus(1006, null)).isEqualTo(new CloseStatus(1006, "")).hasToString("1006");
    }

    @Test
    void clientOptionsHaveTheDocumentedDefaults() {
        ClientOptions options = ClientOptions.defaults();

        assertThat(options.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(options.maxInboundMessageBytes()).isEqualTo(64 * 1024 * 1024);
        assertThat(options.headers()).isEmpty();
        assertThat(options.sslContext()).isNull();
        assertThat(options.insecureTrustAll()).isFalse();
        assertThat(options.eventLoopGroup()).isNull();
    }

    @Test
    void clientOptionsValidateAndCopy() {
        ClientOptions options = ClientOptions.builder()
                .requestTimeout(Duration.ZERO)
                .header("Authorization", "Bearer x")
                .build();
        ClientOptions changed = options.toBuilder().maxInboundMessageBytes(10).build();

        assertThat(changed.requestTimeout()).isZero();
        assertThat(changed.headers()).containsEntry("Authorization", "Bearer x");
        assertThat(changed.maxInboundMessageBytes()).isEqualTo(10);
        assertThat(options.maxInboundMessageBytes()).isEqualTo(ClientOptions.DEFAULT_MAX_INBOUND_MESSAGE_BYTES);
        assertThatThrownBy(() -> options.headers().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> ClientOptions.builder().requestTimeout(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ClientOptions.builder().connectTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ClientOptions.builder().maxInboundMessageBytes(0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
