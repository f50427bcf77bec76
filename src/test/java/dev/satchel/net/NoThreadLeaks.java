package dev.satchel.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.testing.TestServer;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Class-level check that every server and client thread started by a test class ({@code satchel-*}: the
 * command loop, accept and I/O threads, client event loops) has ended once the class is done. Runs after the
 * class's own {@code @AfterAll} methods, which close the {@link TestServer}s. Waits for each thread with
 * {@link Thread#join(long)}, never by sleeping.
 */
final class NoThreadLeaks implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoThreadLeaks.class);
    private static final long JOIN_MILLIS = 5000;

    static Set<Thread> satchelThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("satchel-"))
                .collect(Collectors.toSet());
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(NS).put("before", satchelThreads());
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        @SuppressWarnings("unchecked")
        Set<Thread> before = (Set<Thread>) context.getStore(NS).get("before");
        Set<Thread> started = satchelThreads();
        started.removeAll(before);
        long deadline = System.currentTimeMillis() + JOIN_MILLIS;
        for (Thread t : started) {
            t.join(Math.max(1, deadline - System.currentTimeMillis()));
        }
        List<String> alive = started.stream().filter(Thread::isAlive).map(Thread::getName).sorted().toList();
        assertThat(alive).as("threads started by %s still alive after it finished",
                context.getRequiredTestClass().getSimpleName()).isEmpty();
    }
}
