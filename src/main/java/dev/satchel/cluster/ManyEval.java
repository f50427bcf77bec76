package dev.satchel.cluster;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import org.infinispan.AdvancedCache;
import org.infinispan.commands.CommandsFactory;
import org.infinispan.commands.functional.ReadWriteManyEntriesCommand;
import org.infinispan.commands.functional.functions.InjectableComponent;
import org.infinispan.context.InvocationContext;
import org.infinispan.context.InvocationContextFactory;
import org.infinispan.distribution.DistributionManager;
import org.infinispan.encoding.DataConversion;
import org.infinispan.factories.ComponentRegistry;
import org.infinispan.functional.EntryView.ReadWriteEntryView;
import org.infinispan.functional.impl.Params;
import org.infinispan.interceptors.AsyncInterceptorChain;
import org.infinispan.remoting.transport.Address;

/**
 * {@link ClusterCommand}s on several keys of one cache (a {@link Train} of them per key) as ONE Infinispan command
 * ({@code ReadWriteManyEntriesCommand}), without blocking: the batched form of {@code ReadWriteMap.eval}.
 * {@code ReadWriteMap.evalMany(Map, BiFunction)} builds the same command but joins its future (it blocks the
 * caller), so this class does what {@code org.infinispan.functional.impl.ReadWriteMapImpl#evalMany} does up to
 * the join and returns the future instead.
 *
 * <p>Infinispan internals this relies on (pinned to infinispan-core 16.2.2; {@code ManyEvalTest} and the cluster
 * tests cover them, re-check on an upgrade):
 * <ul>
 *   <li>{@code CommandsFactory#buildReadWriteManyEntriesCommand(Map, BiFunction, Params, DataConversion,
 *       DataConversion)} with the arguments' keys and values converted by the cache's key and value
 *       {@link DataConversion}s ({@code toStorage}; identities for Satchel's object storage), as
 *       {@code AbstractFunctionalMap#encodeEntries} does;</li>
 *   <li>an {@link InvocationContext} from {@code InvocationContextFactory#createInvocationContext(true, n)} whose
 *       lock owner is the command's {@code getKeyLockOwner()} (as {@code ReadWriteMapImpl} sets it), invoked with
 *       {@code AsyncInterceptorChain#invokeAsync} (non-transactional cache: no implicit transaction to suspend);</li>
 *   <li>the result is a {@code List} of the function's results, one per key, in no promised order (the triangle
 *       interceptor merges the primaries' lists): each result therefore carries its command's id
 *       ({@link Apply});</li>
 *   <li>the primary locks all the command's keys at once ({@code DefaultLockManager#lockAll}, atomic under its
 *       monitor: two batches on overlapping keys cannot deadlock), runs the function per key, and sends the
 *       backups one message per segment ({@code TriangleDistributionInterceptor#sendToBackups});</li>
 *   <li>the function is injected with the component registry where it runs ({@code ReadWriteManyEntriesCommand
 *       #init}, also on backups through {@code MultiEntriesFunctionalBackupWriteCommand}).</li>
 * </ul>
 * If a key's function throws, the whole command fails; the caller then re-sends the commands one by one (their
 * ids make that safe).
 */
final class ManyEval {
    private final AsyncInterceptorChain chain;
    private final CommandsFactory commands;
    private final InvocationContextFactory contexts;
    private final DistributionManager distribution;
    private final DataConversion keys;
    private final DataConversion values;
    private final Params params = Params.create();

    ManyEval(AdvancedCache<SessionKey, Box> cache) {
        ComponentRegistry registry = ComponentRegistry.of(cache);
        this.chain = registry.getInterceptorChain().running();
        this.commands = registry.getCommandsFactory();
        this.contexts = registry.getInvocationContextFactory().running();
        this.distribution = registry.getDistributionManager();
        this.keys = cache.getKeyDataConversion();
        this.values = cache.getValueDataConversion();
    }

    /** The member holding the primary copy of {@code key} in the current topology. */
    Address primary(SessionKey key) {
        return distribution.getCacheTopology().getDistribution(keys.toStorage(key)).primary();
    }

    /**
     * Runs each train on its key (on the key's primary owner, then its backups) and completes with every key's
     * answers as {@link Apply} returns them (read them with {@link #answers}), keys in any order. Never blocks;
     * fails the future (or throws) as {@code eval} would.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    CompletableFuture<List<byte[]>> evalMany(Map<SessionKey, Train> batch) {
        Map<Object, Object> encoded = new HashMap<>(batch.size() * 2);
        batch.forEach((k, c) -> encoded.put(keys.toStorage(k), values.toStorage(c)));
        ReadWriteManyEntriesCommand cmd = commands.buildReadWriteManyEntriesCommand(encoded, (BiFunction) new Apply(),
                params, keys, values);
        InvocationContext ctx = contexts.createInvocationContext(true, encoded.size());
        if (ctx.getLockOwner() == null) {
            ctx.setLockOwner(cmd.getKeyLockOwner());
        }
        return (CompletableFuture<List<byte[]>>) (CompletableFuture) chain.invokeAsync(ctx, cmd);
    }

    /**
     * Adds the answers of one key ({@link Apply}'s result) to {@code byId}: command id -> response, or
     * {@link ClusterCommand#BOUNCED} for a command the owner did not run.
     */
    static void answers(byte[] answer, Map<Long, byte[]> byId) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(answer);
        while (b.remaining() >= 12) {
            long id = b.getLong();
            int length = b.getInt();
            if (length < 0) {
                byId.put(id, ClusterCommand.BOUNCED);
                continue;
            }
            byte[] response = new byte[length];
            b.get(response);
            byId.put(id, response);
        }
    }

    /** A key's commands, run in this order under one lock of the key (on the primary and on each backup). */
    static final class Train {
        final ClusterCommand[] commands;

        Train(ClusterCommand[] commands) {
            this.commands = commands;
        }
    }

    /**
     * The function of a batch: runs the key's {@link Train} and answers, for each command in order, its id
     * (8 bytes), the length of its response (4 bytes, both big-endian) and the response. The train's commands
     * run {@code OwnerExecutor.BATCHED}: the first that answers {@link ClusterCommand#BOUNCED} (it would grow the
     * data, so a limit might refuse it) and every command after it are not run, and answer length -1 and no
     * response; the sender sends the bounced one alone and the rest again. Every copy stops at the same command:
     * whether a command grows the data depends only on the session and the command. Stateless but for the
     * member it runs on (injected); marshalled as an empty message ({@link ClusterSchema}).
     */
    static final class Apply implements BiFunction<Train, ReadWriteEntryView<SessionKey, Box>, byte[]>,
            InjectableComponent {
        private transient ClusterMember member;

        @Override
        public void inject(ComponentRegistry registry) {
            member = ClusterMember.of(registry.getGlobalComponentRegistry());
        }

        @Override
        public byte[] apply(Train train, ReadWriteEntryView<SessionKey, Box> view) {
            ClusterCommand[] commands = train.commands;
            byte[][] responses = new byte[commands.length][];
            int ran = commands.length;
            int size = 12 * commands.length;
            for (int i = 0; i < commands.length; i++) {
                if (member != null) {
                    commands[i].member(member);
                }
                responses[i] = commands[i].apply(view); // sees what the ones before it set
                if (responses[i] == ClusterCommand.BOUNCED) {
                    ran = i;
                    break;
                }
                size += responses[i].length;
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(size);
            for (int i = 0; i < commands.length; i++) {
                if (i < ran) {
                    b.putLong(commands[i].id).putInt(responses[i].length).put(responses[i]);
                } else {
                    b.putLong(commands[i].id).putInt(-1);
                }
            }
            return b.array();
        }
    }
}
