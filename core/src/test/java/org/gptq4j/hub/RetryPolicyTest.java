package org.gptq4j.hub;

import org.junit.jupiter.api.Test;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RetryPolicyTest {
    private final RetryPolicy policy = new RetryPolicy(5, Duration.ofMillis(500), Duration.ofSeconds(3));

    @Test
    void backoffDoublesUpToTheCap() {
        assertThat(List.of(1, 2, 3, 4, 5)).map(n -> policy.delayAfter(n, null)).containsExactly(
                Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(3),
                Duration.ofSeconds(3));
    }

    @Test
    void retryAfterWinsWhenLongerButStaysUnderTheCap() {
        assertThat(policy.delayAfter(1, Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.delayAfter(3, Duration.ofMillis(10))).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.delayAfter(1, Duration.ofHours(1))).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void retryAfterIsReadAsSecondsOrAsAnHttpDate() {
        assertThat(HubHttp.retryAfter(headers("7"))).isEqualTo(Duration.ofSeconds(7));
        assertThat(HubHttp.retryAfter(headers("Wed, 21 Oct 2015 07:28:00 GMT"))).isEqualTo(Duration.ZERO);
        assertThat(HubHttp.retryAfter(headers("soon"))).isNull();
    }

    private static HttpHeaders headers(String retryAfter) {
        return HttpHeaders.of(Map.of("Retry-After", List.of(retryAfter)), (a, b) -> true);
    }
}
