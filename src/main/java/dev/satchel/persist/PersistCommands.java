package dev.satchel.persist;

import static dev.satchel.json.ResponseWriter.field;

import dev.satchel.engine.Command;
import dev.satchel.engine.CommandLoop;
import dev.satchel.engine.Engine;
import dev.satchel.engine.Request;
import dev.satchel.engine.TableCommand;
import dev.satchel.json.ResponseWriter;
import dev.satchel.json.TokenFormat;
import dev.satchel.spec.DatasetNames;
import dev.satchel.spec.Status;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The persistence commands SH_SAVE, SH_LOAD, KV_SAVE, KV_LOAD (docs/protocol.md section 9): their parameter
 * rules and responses. The work is {@link DatasetJobs}'; a save's or load's response is deferred until it is
 * durable or applied, so a client that waits for it sees the whole of it, while others may observe a load
 * partly applied.
 */
public final class PersistCommands {
    private static final Logger LOG = LoggerFactory.getLogger(PersistCommands.class);

    private static final byte[] F_NAME = field("name");
    private static final byte[] F_DURATION = field("duration");
    private static final byte[] F_SESSIONS = field("sessions");
    private static final byte[] F_KEYS = field("keys");

    private PersistCommands() {
    }

    /** The four commands over a server's {@link Persistence} and command loop. */
    public static List<Command> all(Persistence persistence, CommandLoop loop) {
        return List.of(new ShSave(persistence, loop), new ShLoad(persistence, loop), new KvSave(persistence, loop),
                new KvLoad(persistence, loop));
    }

    /** The commands without a dataset directory (unit tests without a server): saves are 14, loads 142. */
    public static List<Command> all() {
        return all(null, null);
    }

    // ---- responses built off the loop (never with the loop's own writer) ----

    private static byte[] errorResponse(Command c, PersistException e) {
        ResponseWriter w = new ResponseWriter(TokenFormat.STRING);
        w.error(c.responsePrefix(), e.status(), e.getMessage());
        return w.toByteArray();
    }

    // ---- the commands ----

    /** Shared parameter rules and state. */
    abstract static class PersistCommand extends TableCommand {
        final Persistence persistence;
        final CommandLoop loop;
        private final boolean saves;

        PersistCommand(String name, Persistence persistence, CommandLoop loop, boolean saves) {
            super(name);
            this.persistence = persistence;
            this.loop = loop;
            this.saves = saves;
        }

        @Override
        public void validate(Request r) {
            if (saves && (persistence == null || !persistence.enabled())) {
                invalid(r, Status.COMMAND_DISABLED,
                        "saving is disabled on this server (persist.enabled, or --persist-path DIR)");
                return;
            }
            if (r.nameType == Request.ABSENT) {
                invalid(r, Status.PARAM_MISSING, "name is required");
                return;
            }
            if (r.nameType != Request.STRING) {
                invalid(r, Status.VALUE_TYPE_INVALID, "name must be a string");
                return;
            }
            String problem = DatasetNames.problem(r.name);
            if (problem != null) {
                invalid(r, Status.VALUE_SIZE, problem);
                return;
            }
            validateMore(r);
        }

        void validateMore(Request r) {
        }

        /** Answers a failed save or load. */
        final byte[] failure(Throwable t) {
            PersistException e = Persistence.cause(t);
            if (e.status() == Status.UNKNOWN) {
                LOG.error("{} failed", name(), e.getCause());
            } else if (e.status() == Status.LOAD_ERROR) {
                LOG.info("{} failed: {}", name(), e.getMessage()); // often the client's mistake (no such dataset)
            } else {
                LOG.warn("{} failed: {}", name(), e.getMessage());
            }
            return errorResponse(this, e);
        }

        final void save(Engine engine, Request r, ResponseWriter out, boolean sessions) {
            if (!persistence.tryBeginSave(r.name)) {
                error(out, Status.SAVE_ERROR, "a save of dataset '" + r.name + "' is already in progress");
                return;
            }
            CompletableFuture<DatasetJobs.Saved> saving = sessions ? DatasetJobs.saveSessions(engine, persistence, loop, r.name, r)
                    : DatasetJobs.saveKeys(engine, persistence, r.name);
            String name = r.name;
            out.defer(saving.handle((s, e) -> {
                if (e != null) {
                    return failure(e);
                }
                ResponseWriter w = new ResponseWriter(TokenFormat.STRING);
                w.begin(responsePrefix(), Status.SAVE_COMPLETE).raw(F_NAME).string(name)
                        .raw(F_DURATION).number(s.millis()).end();
                return w.toByteArray();
            }));
        }

        final void load(Engine engine, Request r, ResponseWriter out, int kind) {
            if (persistence == null) {
                error(out, Status.LOAD_ERROR, "this server has no dataset directory");
                return;
            }
            String name = r.name;
            if (!engine.journalled()) {
                out.defer(answer(name, kind));
                return;
            }
            CompletableFuture<byte[]> response = new CompletableFuture<>();
            // the answer leaves once what the load changed is durable (persist.journal = always; else at once)
            answer(name, kind).thenAccept(json -> loop.submit((e, o) -> e.whenDurable(() -> response.complete(json))));
            out.defer(response);
        }

        private CompletableFuture<byte[]> answer(String name, int kind) {
            return DatasetJobs.loadAndApply(persistence, loop, name, kind).handle((l, e) -> {
                if (e != null) {
                    return failure(e);
                }
                ResponseWriter w = new ResponseWriter(TokenFormat.STRING);
                w.begin(responsePrefix(), Status.LOAD_COMPLETE).raw(F_NAME).string(name);
                if (kind == Format.KIND_SESSIONS) {
                    w.raw(F_SESSIONS).number(l.count()).raw(F_KEYS).number(l.keys());
                } else {
                    w.raw(F_KEYS).number(l.keys()).raw(F_SESSIONS).number(0).raw(F_DURATION).number(l.millis());
                }
                w.end();
                return w.toByteArray();
            });
        }
    }

    /** SH_SAVE {name, tkns?}: all sessions, or the live ones among tkns. */
    static final class ShSave extends PersistCommand {
        ShSave(Persistence persistence, CommandLoop loop) {
            super("SH_SAVE", persistence, loop, true);
        }

        @Override
        void validateMore(Request r) {
            if (r.tknsType == Request.ABSENT) {
                return;
            }
            if (r.tknsType != Request.ARRAY) {
                invalid(r, Status.VALUE_TYPE_INVALID, "tkns must be an array of session tokens");
                return;
            }
            if (r.tknsCount == 0) {
                invalid(r, Status.VALUE_SIZE, "tkns must not be empty (leave it out to save every session)");
                return;
            }
            for (int i = 0; i < r.tknsCount; i++) {
                if (!r.tknsValid[i]) {
                    invalid(r, Status.SESSION_TOKEN_INVALID, "tkns[" + i + "] is not a valid session token");
                    return;
                }
            }
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            save(engine, r, out, true);
        }
    }

    /** SH_LOAD {name}: adds the saved sessions whose tokens are not in use. */
    static final class ShLoad extends PersistCommand {
        ShLoad(Persistence persistence, CommandLoop loop) {
            super("SH_LOAD", persistence, loop, false);
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            load(engine, r, out, Format.KIND_SESSIONS);
        }
    }

    /** KV_SAVE {name}: the global key space. */
    static final class KvSave extends PersistCommand {
        KvSave(Persistence persistence, CommandLoop loop) {
            super("KV_SAVE", persistence, loop, true);
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            save(engine, r, out, false);
        }
    }

    /** KV_LOAD {name}: sets every saved key, overwriting. */
    static final class KvLoad extends PersistCommand {
        KvLoad(Persistence persistence, CommandLoop loop) {
            super("KV_LOAD", persistence, loop, false);
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            load(engine, r, out, Format.KIND_KEYS);
        }
    }
}
