package dev.satchel.engine;

import dev.satchel.json.ResponseWriter;
import dev.satchel.store.KeyValues;

/**
 * A command on one key-value store: {@code KV_*} on the global key space, {@code SH_*} on one session's (with
 * {@code tkn}). Its semantics ({@link #apply}) see only the store, the session it belongs to, the request and
 * the {@link CommandContext}; the executor finds the session (expiring it lazily), answers 100 when there is
 * none, keeps the key and byte counts, drops an emptied store and extends a sliding session afterwards.
 */
public abstract non-sealed class StoreCommand extends Command {
    private final boolean session;
    private final boolean writes;
    private final boolean extendsOnGet;

    /**
     * @param session      the {@code SH_*} form (a session's store, by {@code tkn}) rather than the global store
     * @param writes       SET, ADD, CLEAR_SET: gets a store of its own and extends a session on set/add
     * @param extendsOnGet GET: a successful run extends a session that slides on get
     */
    protected StoreCommand(String name, boolean session, boolean writes, boolean extendsOnGet) {
        super(name, Kind.STORE);
        this.session = session;
        this.writes = writes;
        this.extendsOnGet = extendsOnGet;
    }

    /** True for the {@code SH_*} form (a session's store, found by {@code tkn}), false for the global store. */
    public final boolean onSession() {
        return session;
    }

    /**
     * Runs on {@code kv}, never null: the store of {@code session}, or the global one when {@code session} is
     * null. Writes one response, and reports every change it makes to {@code ctx.changes()}. Only commands that
     * {@link #writes()} may change {@code kv}; the others may be handed the shared empty store.
     */
    public abstract void apply(Session session, KeyValues kv, Request r, CommandContext ctx, ResponseWriter out);

    /** True if the command writes (SET, ADD, CLEAR_SET): it gets a store of its own and extends on set/add. */
    public final boolean writes() {
        return writes;
    }

    /** True if a successful run extends a session that slides on get. */
    public final boolean extendsOnGet() {
        return extendsOnGet;
    }
}
