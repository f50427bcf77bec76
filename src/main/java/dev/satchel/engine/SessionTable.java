package dev.satchel.engine;

/**
 * Token -> session, as open addressing with linear probing on the token's bits (tokens are uniformly random
 * or HMAC outputs, so they need no further hashing beyond a mix). Deletion shifts entries back, so there are
 * no tombstones and lookups never degrade with churn. Owned by the command loop.
 */
final class SessionTable {
    private Session[] slots = new Session[64];
    private int size;

    int size() {
        return size;
    }

    private static int home(long hi, long lo, int mask) {
        long h = (lo ^ Long.rotateLeft(hi, 32)) * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    Session get(long hi, long lo) {
        final Session[] s = slots;
        final int mask = s.length - 1;
        int i = home(hi, lo, mask);
        while (true) {
            Session x = s[i];
            if (x == null) {
                return null;
            }
            if (x.tokenLo == lo && x.tokenHi == hi) {
                return x;
            }
            i = (i + 1) & mask;
        }
    }

    /** Adds a session whose token is not in the table. */
    void add(Session session) {
        if ((size + 1) * 2 > slots.length) {
            resize(slots.length * 2);
        }
        place(slots, session);
        size++;
    }

    private static void place(Session[] s, Session session) {
        final int mask = s.length - 1;
        int i = home(session.tokenHi, session.tokenLo, mask);
        while (s[i] != null) {
            i = (i + 1) & mask;
        }
        s[i] = session;
    }

    private void resize(int capacity) {
        Session[] old = slots;
        slots = new Session[capacity];
        for (Session x : old) {
            if (x != null) {
                place(slots, x);
            }
        }
    }

    boolean remove(Session session) {
        final Session[] s = slots;
        final int mask = s.length - 1;
        int i = home(session.tokenHi, session.tokenLo, mask);
        while (s[i] != session) {
            if (s[i] == null) {
                return false;
            }
            i = (i + 1) & mask;
        }
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            Session x = s[j];
            if (x == null) {
                break;
            }
            int h = home(x.tokenHi, x.tokenLo, mask);
            boolean stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
            if (!stays) {
                s[hole] = x;
                hole = j;
            }
        }
        s[hole] = null;
        size--;
        if (slots.length > 64 && size * 8 < slots.length) {
            resize(slots.length / 2);
        }
        return true;
    }

    /** Calls {@code action} for every session; the action must not add or remove sessions. */
    void forEach(java.util.function.Consumer<Session> action) {
        for (Session x : slots) {
            if (x != null) {
                action.accept(x);
            }
        }
    }

    void clear() {
        slots = new Session[64];
        size = 0;
    }
}
