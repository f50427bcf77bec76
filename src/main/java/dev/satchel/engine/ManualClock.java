package dev.satchel.engine;

import java.util.concurrent.atomic.AtomicLong;

/** A clock moved by hand, for tests. Safe to advance from any thread. */
public final class ManualClock implements Clock {
    private final AtomicLong now;

    public ManualClock(long startMillis) {
        this.now = new AtomicLong(startMillis);
    }

    @Override
    public long millis() {
        return now.get();
    }

    public void advanceMillis(long millis) {
        now.addAndGet(millis);
    }

    public void advanceSeconds(long seconds) {
        advanceMillis(seconds * 1000);
    }
}
