package dev.satchel.engine;

import static dev.satchel.protocol.ResponseWriter.field;

import dev.satchel.protocol.Request;
import dev.satchel.protocol.ResponseWriter;
import dev.satchel.protocol.Status;
import java.util.ArrayList;
import java.util.List;

/**
 * The key-value commands, each in two forms: {@code KV_*} on the global key space and {@code SH_*} on one
 * session's store (with {@code tkn}). The logic is the same; {@link DataCommand} resolves the store.
 */
public final class DataCommands {
    static final byte[] F_KEYS = field("keys");
    static final byte[] F_CNT = field("cnt");
    static final byte[] F_CONTAINS = field("contains");

    private DataCommands() {
    }

    public static List<Command> all() {
        List<Command> list = new ArrayList<>();
        for (boolean session : new boolean[] {true, false}) {
            list.add(new Store("SET", session, true));
            list.add(new Store("ADD", session, false));
            list.add(new Get(session));
            list.add(new Rmv(session));
            list.add(new Contains(session));
            list.add(new Count(session));
            list.add(new Keys(session));
            list.add(new Clear(session));
            list.add(new ClearSet(session));
        }
        return list;
    }

    /** A key-value command: finds the store, runs, keeps the engine's key count and sliding expiry right. */
    abstract static class DataCommand extends Command {
        final boolean session;

        DataCommand(String suffix, boolean session) {
            super((session ? "SH_" : "KV_") + suffix);
            this.session = session;
        }

        @Override
        public final void validate(Request r) {
            if (session && !requireToken(r)) {
                return;
            }
            validateParams(r);
        }

        void validateParams(Request r) {
        }

        @Override
        public final void execute(Engine engine, Request r, ResponseWriter out) {
            if (!session) {
                String problem = limitProblem(engine, null, engine.global(), r);
                if (problem != null && engine.expireDue()) { // data past its deadline holds no budget
                    problem = limitProblem(engine, null, engine.global(), r);
                }
                if (problem != null) {
                    error(out, Status.LIMIT_EXCEEDED, problem); // refused whole: nothing is written
                    return;
                }
                run(engine, engine.global(), r, out);
                return;
            }
            Session s = engine.find(r.tknHi, r.tknLo);
            if (s == null) {
                error(out, Status.SESSION_NOT_EXIST, "session does not exist");
                return;
            }
            String problem = limitProblem(engine, s, s.data != null ? s.data : KeyValues.EMPTY, r);
            if (problem != null && engine.expireDue()) {
                // data past its deadline holds no budget; the pass may have reached this session too (its
                // deadline may have passed since the lookup), so look it up again
                s = engine.find(r.tknHi, r.tknLo);
                if (s == null) {
                    error(out, Status.SESSION_NOT_EXIST, "session does not exist");
                    return;
                }
                problem = limitProblem(engine, s, s.data != null ? s.data : KeyValues.EMPTY, r);
            }
            if (problem != null) {
                error(out, Status.LIMIT_EXCEEDED, problem); // refused whole, and not a reason to extend
                return;
            }
            KeyValues kv = extendsOnSetAdd() ? s.store() : s.data != null ? s.data : KeyValues.EMPTY;
            int before = kv.size();
            long bytesBefore = kv.storedBytes();
            run(engine, kv, r, out);
            engine.sessionKeysChanged(kv.size() - before);
            engine.sessionBytesChanged(kv.storedBytes() - bytesBefore);
            if (kv.size() == 0 && s.data != null) {
                s.data = null; // an empty session holds no store
            }
            if (s.durationMillis > 0 && out.status() == Status.OK
                    && (extendsOnSetAdd() ? s.extendOnSetAdd : extendsOnGet() && s.extendOnGet)) {
                engine.extend(s);
            }
        }

        /**
         * Runs on {@code kv} (never null) and writes a success response. Only commands that extend on
         * set/add write into the store; the others may get the shared empty store.
         */
        abstract void run(Engine engine, KeyValues kv, Request r, ResponseWriter out);

        /** For writes: null if the request fits the limits (see {@link Engine#writeProblem}), else the 170 message. */
        String limitProblem(Engine engine, Session s, KeyValues kv, Request r) {
            return null;
        }

        boolean extendsOnSetAdd() {
            return false;
        }

        boolean extendsOnGet() {
            return false;
        }
    }

    /** SET (insert or overwrite) and ADD (insert only absent keys): one command but for that flag. */
    static final class Store extends DataCommand {
        private final boolean overwrite;

        Store(String suffix, boolean session, boolean overwrite) {
            super(suffix, session);
            this.overwrite = overwrite;
        }

        @Override
        void validateParams(Request r) {
            requireKeysObject(r);
        }

        @Override
        void run(Engine engine, KeyValues kv, Request r, ResponseWriter out) {
            for (int i = 0; i < r.keyCount; i++) {
                if (overwrite) {
                    kv.put(r.entries[i]);
                } else {
                    kv.add(r.entries[i]);
                }
            }
            ok(out);
        }

        @Override
        String limitProblem(Engine engine, Session s, KeyValues kv, Request r) {
            return engine.writeProblem(s, kv, r.entries, r.keyCount, false, overwrite);
        }

        @Override
        boolean extendsOnSetAdd() {
            return true;
        }
    }

    static final class Get extends DataCommand {
        Get(boolean session) {
            super("GET", session);
        }

        @Override
        void validateParams(Request r) {
            requireKeysArray(r, false);
        }

        @Override
        void run(Engine engine, KeyValues kv, Request r, ResponseWriter out) {
            out.begin(responsePrefix(), Status.OK).raw(F_KEYS).rawByte('{');
            boolean first = true;
            int[] listed = new int[Math.min(r.keyCount, 16)];
            int listedCount = 0;
            java.util.BitSet listedSet = r.keyCount > 16 ? new java.util.BitSet(kv.end()) : null;
            for (int i = 0; i < r.keyCount; i++) {
                int p = kv.find(r.keys[i]);
                if (p < 0) {
                    continue;
                }
                // each key is returned once, however often it was asked for
                if (listedSet != null) {
                    if (listedSet.get(p)) {
                        continue;
                    }
                    listedSet.set(p);
                } else {
                    if (contains(listed, listedCount, p)) {
                        continue;
                    }
                    listed[listedCount++] = p;
                }
                byte[] e = kv.entryAt(p);
                int ko = Entry.keyOffset(e);
                int kl = Entry.keyLength(e);
                if ((long) out.length() + e.length + 8 > engine.maxResponseBytes()) {
                    out.reset();
                    error(out, Status.LIMIT_EXCEEDED, engine.responseTooLargeMessage());
                    return;
                }
                if (!first) {
                    out.rawByte(',');
                }
                first = false;
                out.quoted(e, ko, kl).rawByte(':').raw(e, ko + kl, e.length - ko - kl);
            }
            out.rawByte('}').end();
        }

        private static boolean contains(int[] a, int n, int x) {
            for (int i = 0; i < n; i++) {
                if (a[i] == x) {
                    return true;
                }
            }
            return false;
        }

        @Override
        boolean extendsOnGet() {
            return true;
        }
    }

    static final class Rmv extends DataCommand {
        Rmv(boolean session) {
            super("RMV", session);
        }

        @Override
        void validateParams(Request r) {
            requireKeysArray(r, true);
        }

        @Override
        void run(Engine engine, KeyValues kv, Request r, ResponseWriter out) {
            for (int i = 0; i < r.keyCount; i++) {
                kv.remove(r.keys[i]);
            }
            ok(out);
        }
    }

    static final class Contains extends DataCommand {
        Contains(boolean session) {
            super("CONTAINS", session);
        }

        @Override
        void validateParams(Request r) {
            requireKeysArray(r, false);
        }

        @Override
        void run(Engine engine, KeyValues kv, Request r, ResponseWriter out) {
            out.begin(responsePrefix(), Status.OK).raw(F_CONTAINS).rawByte('[');
            boolean first = true;
            for (int i = 0; i < r.keyCount; i++) {
                if (kv.find(r.keys[i]) >= 0) {
                    if (!first) {
                        out.rawByte(',');
                    }
                    first = false;
                    out.quoted(r.keys[i]);
                }
            }
            out.rawByte(']').end();
        }
    }

    static final class Count extends DataCommand {
        Count(boolean session) {
            super("COUNT", session);
        }

        @Override
        void run(Engine engine, KeyValues kv, Request r, ResponseWriter out) {
            out.begin(responsePrefix(), Status.OK).raw(F_CNT).number(kv.size()).end();
        }
    }

    static final class Keys extends DataCommand {
        Keys(boolean session) {
            super("KEYS", session);
        }

        @Override
        void run(Engine engine, KeyValues kv, Request r, ResponseWriter out) {
            out.begin(responsePrefix(), Status.OK).raw(F_KEYS).rawByte('[');
            boolean first = true;
            for (int p = 0, end = kv.end(); p < end; p++) {
                byte[] e = kv.entryAt(p);
                if (e == null) {
                    continue;
                }
                if ((long) out.length() + Entry.keyOffset(e) + Entry.keyLength(e) + 8 > engine.maxResponseBytes()) {
                    out.reset();
                    error(out, Status.LIMIT_EXCEEDED, engine.responseTooLargeMessage());
                    return;
                }
                if (!first) {
                    out.rawByte(',');
                }
                first = false;
                out.quoted(e, Entry.keyOffset(e), Entry.keyLength(e));
            }
            out.rawByte(']').end();
        }
    }

    static final class Clear extends DataCommand {
        Clear(boolean session) {
            super("CLEAR", session);
        }

        @Override
        void run(Engine engine, KeyValues kv, Request r, ResponseWriter out) {
            int n = kv.clear();
            out.begin(responsePrefix(), Status.OK).raw(F_CNT).number(n).end();
        }
    }

    static final class ClearSet extends DataCommand {
        ClearSet(boolean session) {
            super("CLEAR_SET", session);
        }

        @Override
        void validateParams(Request r) {
            requireKeysObject(r);
        }

        @Override
        void run(Engine engine, KeyValues kv, Request r, ResponseWriter out) {
            int n = kv.clear();
            for (int i = 0; i < r.keyCount; i++) {
                kv.put(r.entries[i]);
            }
            out.begin(responsePrefix(), Status.OK).raw(F_CNT).number(n).end();
        }

        @Override
        String limitProblem(Engine engine, Session s, KeyValues kv, Request r) {
            return engine.writeProblem(s, kv, r.entries, r.keyCount, true, true);
        }

        @Override
        boolean extendsOnSetAdd() {
            return true;
        }
    }
}
