package dev.satchel.engine;

import java.util.Arrays;

/**
 * Consistent snapshots of every session, taken a slice at a time while the loop keeps serving (SH_SAVE, the
 * shutdown save). A snapshot stands for the instant it began: its members are the sessions in the table then,
 * and each is captured either by a slice ({@link #continueCapture}) or, if something is about to change it
 * first, by {@link #beforeChange}, which the {@link Engine} calls before every change to a session (through
 * {@link Engine#find}, expiry, end, end-all, clearing or extending). Sessions remember in
 * {@link Session#snapSeq} the number of the newest snapshot that had begun when they were last captured (or
 * created), so a session needs capturing for snapshot {@code c} exactly when {@code snapSeq < c.seq}.
 * Owned by the command loop, like the engine.
 */
public final class Snapshots {
    /** Records one session's state into a snapshot. Must not change the session. */
    public interface Capturer {
        void capture(Session s);
    }

    /** A snapshot being taken. */
    public static final class Capture {
        /** Members are kept in blocks: small young arrays are cheaper to fill than one huge one. */
        private static final int BLOCK = 8192;

        final int seq;
        final Capturer capturer;
        final Session[][] members;
        int count;
        int next;

        Capture(int seq, Capturer capturer, int size) {
            this.seq = seq;
            this.capturer = capturer;
            this.members = new Session[(size + BLOCK - 1) / BLOCK][];
        }

        void add(Session s) {
            Session[] block = members[count / BLOCK];
            if (block == null) {
                block = members[count / BLOCK] = new Session[BLOCK];
            }
            block[count++ % BLOCK] = s;
        }
    }

    private final SessionTable sessions;
    /** Number of the newest snapshot begun. */
    private int seq;
    /** Snapshots being taken (usually none). */
    private Capture[] captures = new Capture[0];

    Snapshots(SessionTable sessions) {
        this.sessions = sessions;
    }

    /** True while a snapshot is being taken: the engine must call {@link #beforeChange} before changes. */
    boolean active() {
        return captures.length != 0;
    }

    /** Marks a new session as not part of any snapshot begun before it existed. */
    void born(Session s) {
        s.snapSeq = seq;
    }

    /**
     * Begins a snapshot of every session in the table: one pass copying references, no session is read.
     * Continue it with {@link #continueCapture} until that returns true. This pass is the longest loop
     * turn of a save (about 30-50 ms for a million sessions); a bulk copy of the table's slot array would
     * make it a few milliseconds.
     */
    public Capture beginCapture(Capturer capturer) {
        Capture c = new Capture(++seq, capturer, sessions.size());
        sessions.forEach(c::add);
        captures = Arrays.copyOf(captures, captures.length + 1);
        captures[captures.length - 1] = c;
        return c;
    }

    /** Captures members until {@code stopAtNanos} (System.nanoTime); returns true when the snapshot is complete. */
    public boolean continueCapture(Capture c, long stopAtNanos) {
        while (c.next < c.count) {
            int end = Math.min(c.count, c.next + 256); // 256 divides the block size
            Session[] block = c.members[c.next / Capture.BLOCK];
            for (int i = c.next; i < end; i++) {
                Session s = block[i % Capture.BLOCK];
                if (s.snapSeq < c.seq) {
                    beforeChange(s);
                }
            }
            if (end % Capture.BLOCK == 0 || end == c.count) {
                c.members[c.next / Capture.BLOCK] = null; // done with this block
            }
            c.next = end;
            if (System.nanoTime() - stopAtNanos >= 0) {
                break;
            }
        }
        if (c.next < c.count) {
            return false;
        }
        abandonCapture(c);
        return true;
    }

    /** Stops a snapshot (complete, or failed): it is no longer kept up to date. */
    public void abandonCapture(Capture c) {
        int n = 0;
        Capture[] keep = new Capture[captures.length];
        for (Capture x : captures) {
            if (x != c) {
                keep[n++] = x;
            }
        }
        captures = Arrays.copyOf(keep, n);
    }

    /** Before a session changes or ends: captures it, if a snapshot being taken still needs it. */
    void beforeChangeIfNeeded(Session s) {
        if (captures.length != 0 && s.snapSeq < seq) {
            beforeChange(s);
        }
    }

    /**
     * Before a session changes or ends while snapshots are being taken: gives every snapshot that has not
     * captured it yet its state as it still is (the state it had when that snapshot began).
     */
    private void beforeChange(Session s) {
        for (Capture c : captures) {
            if (s.snapSeq < c.seq) {
                c.capturer.capture(s);
            }
        }
        s.snapSeq = seq;
    }
}
