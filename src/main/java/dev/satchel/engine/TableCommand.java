package dev.satchel.engine;

import dev.satchel.json.ResponseWriter;

/**
 * A command on the whole table (SH_NEW, SH_EXISTS, SH_END_ALL, SH_INFO_ALL, SV_INFO, saves and loads): the
 * executor runs it against everything it holds, so its code belongs to the executor ({@link Engine} for the
 * command loop).
 */
public abstract non-sealed class TableCommand extends Command {
    protected TableCommand(String name) {
        super(name, Kind.TABLE);
    }

    /** Runs the command on the loop's engine and writes (or defers) exactly one response. */
    public abstract void execute(Engine engine, Request r, ResponseWriter out);
}
