package dev.satchel.engine;

import java.util.Arrays;

/**
 * A hashed timing wheel of sessions that expire. A session is filed under the tick of its deadline; when
 * the wheel reaches that slot it asks the engine to expire the session, or re-files it if its deadline has
 * moved (sliding expiry only moves the deadline, never touches the wheel). A slot may hold sessions of later
 * revolutions; they are simply re-filed. Work per call is bounded so that a mass expiry cannot stall the
 * command loop: {@link #advance} returns true while due work remains. Owned by the command loop.
 */
final class ExpiryWheel {
    /** Called for a session whose deadline has passed; returns true if the session still expires later. */
    interface Expirer {
        boolean expire(Session session, long now);
    }

    private final long tickMillis;
    private final Session[][] slots;
    private final int[] sizes;
    private final int mask;
    /** The next tick to process. */
    private long nextTick;
    /** The slot being worked through when the budget ran out, with its position. */
    private Session[] draining;
    private int drainingSize;
    private int drainingPos;
    private int size;

    ExpiryWheel(long tickMillis, int slotCount, long now) {
        if (Integer.bitCount(slotCount) != 1) {
            throw new IllegalArgumentException("slot count must be a power of two");
        }
        this.tickMillis = tickMillis;
        this.slots = new Session[slotCount][];
        this.sizes = new int[slotCount];
        this.mask = slotCount - 1;
        this.nextTick = now / tickMillis;
    }

    long tickMillis() {
        return tickMillis;
    }

    /** Sessions filed, including ended ones not yet dropped. */
    int size() {
        return size;
    }

    /** Files a session under its deadline's tick (never in the past: at worst the next tick). */
    void schedule(Session s) {
        long tick = Math.max(Math.floorDiv(s.deadline, tickMillis), nextTick);
        int i = (int) (tick & mask);
        Session[] slot = slots[i];
        int n = sizes[i];
        if (slot == null) {
            slot = slots[i] = new Session[4];
        } else if (n == slot.length) {
            slot = slots[i] = Arrays.copyOf(slot, n * 2);
        }
        slot[n] = s;
        sizes[i] = n + 1;
        size++;
    }

    /**
     * Expires every filed session whose deadline is at or before {@code now}, handling at most
     * {@code budget} sessions. Returns true if due work is left (call again soon). When it returns false,
     * no live filed session is past its deadline, so counts taken right after are exact.
     */
    boolean advance(long now, int budget, Expirer expirer) {
        int left = advanceTicks(now, budget, expirer);
        return left < 0 || sweepNextSlot(now, left, expirer);
    }

    /**
     * The slot of the next tick holds sessions whose deadline falls within that tick; those already due
     * (the tick has begun for them but not for the wheel) are expired here.
     */
    private boolean sweepNextSlot(long now, int budget, Expirer expirer) {
        int i = (int) (nextTick & mask);
        Session[] slot = slots[i];
        for (int j = sizes[i] - 1; j >= 0; j--) {
            Session s = slot[j];
            if (!s.ended && now < s.deadline) {
                continue;
            }
            if (budget-- <= 0) {
                return true;
            }
            int last = --sizes[i];
            slot[j] = slot[last];
            slot[last] = null;
            size--;
            if (!s.ended && expirer.expire(s, now)) {
                schedule(s);
                slot = slots[i]; // scheduling may have grown this very slot's array
            }
        }
        return false;
    }

    /** Processes slots of ticks up to now; returns the budget left, or -1 if it ran out. */
    private int advanceTicks(long now, int budget, Expirer expirer) {
        long lastTick = now / tickMillis;
        while (true) {
            if (draining == null) {
                // A clock jump of more than one revolution needs each slot once: every filed session is seen.
                if (lastTick - nextTick >= slots.length) {
                    nextTick = lastTick - slots.length + 1;
                }
                if (nextTick > lastTick) {
                    return budget;
                }
                int i = (int) (nextTick & mask);
                draining = slots[i];
                drainingSize = sizes[i];
                drainingPos = 0;
                slots[i] = null;
                sizes[i] = 0;
                nextTick++;
                if (draining == null) {
                    continue;
                }
            }
            while (drainingPos < drainingSize) {
                if (budget-- <= 0) {
                    return -1;
                }
                Session s = draining[drainingPos];
                draining[drainingPos++] = null;
                size--;
                if (s.ended) {
                    continue;
                }
                if (now >= s.deadline) {
                    if (expirer.expire(s, now)) {
                        schedule(s);
                    }
                } else {
                    schedule(s);
                }
            }
            draining = null;
        }
    }

    void clear(long now) {
        Arrays.fill(slots, null);
        Arrays.fill(sizes, 0);
        draining = null;
        size = 0;
        nextTick = now / tickMillis;
    }
}
