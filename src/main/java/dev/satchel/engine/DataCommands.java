package dev.satchel.engine;

import static dev.satchel.json.ResponseWriter.field;

import dev.satchel.json.ResponseWriter;
import dev.satchel.spec.Status;
import dev.satchel.store.Entry;
import dev.satchel.store.KeyValues;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The key-value commands, each in two forms: {@code KV_*} on the global key space and {@code SH_*} on one
 * session's store (with {@code tkn}). The logic is the same: each runs on the store the executor hands it.
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

    /**
     * A key-value command in either form (the session form's {@code tkn} is checked by the decoder, as declared).
     * Its request is {@link Request.Plain} unless it takes {@code keys}.
     */
    abstract static class DataCommand extends StoreCommand {
        DataCommand(String suffix, boolean session, boolean writes, boolean extendsOnGet) {
            super((session ? "SH_" : "KV_") + suffix, session, writes, extendsOnGet);
        }
    }

    /** A command on a {@code keys} array: {@link Request.Keys}. */
    abstract static class KeysCommand extends DataCommand {
        KeysCommand(String suffix, boolean session, boolean extendsOnGet) {
            super(suffix, session, false, extendsOnGet);
        }

        @Override
        public final Request request(Params p) {
            return new Request.Keys(this, p);
        }
    }

    /** SET (insert or overwrite) and ADD (insert only absent keys): one command but for that flag. */
    static final class Store extends DataCommand {
        private final boolean overwrite;

        Store(String suffix, boolean session, boolean overwrite) {
            super(suffix, session, true, false);
            this.overwrite = overwrite;
        }

        @Override
        public Request request(Params p) {
            return new Request.Entries(this, p);
        }

        @Override
        public void apply(Session s, KeyValues kv, Request request, CommandContext ctx, ResponseWriter out) {
            Request.Entries r = (Request.Entries) request;
            Problem problem = ctx.writeProblem(s, kv, r, false, overwrite);
            if (problem != null) {
                error(out, problem); // refused whole: nothing is written
                return;
            }
            Changes changes = ctx.changes();
            for (int i = 0, n = r.count(); i < n; i++) {
                byte[] e = r.entry(i);
                if (overwrite) {
                    kv.put(e);
                    changes.put(s, e);
                } else if (kv.add(e)) {
                    changes.put(s, e);
                }
            }
            ok(out);
        }

    }

    static final class Get extends KeysCommand {
        Get(boolean session) {
            super("GET", session, true);
        }

        @Override
        public void apply(Session s, KeyValues kv, Request request, CommandContext ctx, ResponseWriter out) {
            Request.Keys r = (Request.Keys) request;
            int n = r.count();
            out.begin(responsePrefix(), Status.OK).raw(F_KEYS).rawByte('{');
            boolean first = true;
            // one key needs no bookkeeping (the common case allocates nothing)
            int[] listed = n > 1 && n <= 16 ? new int[n] : null;
            int listedCount = 0;
            BitSet listedSet = n > 16 ? new BitSet(kv.end()) : null;
            for (int i = 0; i < n; i++) {
                int p = kv.find(r.key(i));
                if (p < 0) {
                    continue;
                }
                // each key is returned once, however often it was asked for
                if (listedSet != null) {
                    if (listedSet.get(p)) {
                        continue;
                    }
                    listedSet.set(p);
                } else if (listed != null) {
                    if (contains(listed, listedCount, p)) {
                        continue;
                    }
                    listed[listedCount++] = p;
                }
                byte[] e = kv.entryAt(p);
                int ko = Entry.keyOffset(e);
                int kl = Entry.keyLength(e);
                if ((long) out.length() + e.length + 8 > ctx.maxResponseBytes()) {
                    out.reset();
                    error(out, ctx.responseTooLarge());
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

    }

    static final class Rmv extends KeysCommand {
        Rmv(boolean session) {
            super("RMV", session, false);
        }

        @Override
        public void apply(Session s, KeyValues kv, Request request, CommandContext ctx, ResponseWriter out) {
            Request.Keys r = (Request.Keys) request;
            Changes changes = ctx.changes();
            for (int i = 0, n = r.count(); i < n; i++) {
                if (kv.remove(r.key(i))) {
                    changes.removed(s, r.key(i));
                }
            }
            ok(out);
        }
    }

    static final class Contains extends KeysCommand {
        Contains(boolean session) {
            super("CONTAINS", session, false);
        }

        @Override
        public void apply(Session s, KeyValues kv, Request request, CommandContext ctx, ResponseWriter out) {
            Request.Keys r = (Request.Keys) request;
            out.begin(responsePrefix(), Status.OK).raw(F_CONTAINS).rawByte('[');
            boolean first = true;
            for (int i = 0, n = r.count(); i < n; i++) {
                if (kv.find(r.key(i)) >= 0) {
                    if (!first) {
                        out.rawByte(',');
                    }
                    first = false;
                    out.quoted(r.key(i));
                }
            }
            out.rawByte(']').end();
        }
    }

    static final class Count extends DataCommand {
        Count(boolean session) {
            super("COUNT", session, false, false);
        }

        @Override
        public void apply(Session s, KeyValues kv, Request r, CommandContext ctx, ResponseWriter out) {
            out.begin(responsePrefix(), Status.OK).raw(F_CNT).number(kv.size()).end();
        }
    }

    static final class Keys extends DataCommand {
        Keys(boolean session) {
            super("KEYS", session, false, false);
        }

        @Override
        public void apply(Session s, KeyValues kv, Request r, CommandContext ctx, ResponseWriter out) {
            out.begin(responsePrefix(), Status.OK).raw(F_KEYS).rawByte('[');
            boolean first = true;
            for (int p = 0, end = kv.end(); p < end; p++) {
                byte[] e = kv.entryAt(p);
                if (e == null) {
                    continue;
                }
                if ((long) out.length() + Entry.keyOffset(e) + Entry.keyLength(e) + 8 > ctx.maxResponseBytes()) {
                    out.reset();
                    error(out, ctx.responseTooLarge());
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
            super("CLEAR", session, false, false);
        }

        @Override
        public void apply(Session s, KeyValues kv, Request r, CommandContext ctx, ResponseWriter out) {
            int n = kv.clear();
            if (n > 0) {
                ctx.changes().storeCleared(s);
            }
            out.begin(responsePrefix(), Status.OK).raw(F_CNT).number(n).end();
        }
    }

    static final class ClearSet extends DataCommand {
        ClearSet(boolean session) {
            super("CLEAR_SET", session, true, false);
        }

        @Override
        public Request request(Params p) {
            return new Request.Entries(this, p);
        }

        @Override
        public void apply(Session s, KeyValues kv, Request request, CommandContext ctx, ResponseWriter out) {
            Request.Entries r = (Request.Entries) request;
            Problem problem = ctx.writeProblem(s, kv, r, true, true);
            if (problem != null) {
                error(out, problem); // refused whole: nothing is cleared or written
                return;
            }
            Changes changes = ctx.changes();
            int n = kv.clear();
            changes.storeCleared(s);
            for (int i = 0, count = r.count(); i < count; i++) {
                kv.put(r.entry(i));
                changes.put(s, r.entry(i));
            }
            out.begin(responsePrefix(), Status.OK).raw(F_CNT).number(n).end();
        }

    }
}
