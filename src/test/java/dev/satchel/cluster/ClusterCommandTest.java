package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.engine.Clock;
import dev.satchel.json.TokenFormat;
import dev.satchel.ops.SatchelNode;
import dev.satchel.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.infinispan.functional.EntryView.ReadWriteEntryView;
import org.infinispan.functional.MetaParam;
import org.infinispan.metadata.Metadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The owner side of a command without a cluster: what Infinispan does to a {@link ClusterCommand} (run it on
 * the primary's entry, run it again on each backup's, run it again after a retry) done by hand on entries in
 * memory. Re-execution must answer from the ring and change nothing; primary and backup must stay equal.
 */
class ClusterCommandTest {
    static SatchelNode node;
    static ClusterMember member;
    static final long NOW = 1_800_000_000_000L;

    @BeforeAll
    static void member() {
        node = new SatchelNode(TestServer.config("--cluster", "true", "--cluster-members", "127.0.0.1:7800",
                "--cluster-secret", "unit-test-secret-0123456789"), Clock.system());
        member = node.cluster();
    }

    @AfterAll
    static void close() {
        node.close();
    }

    /** An entry as Infinispan hands it to the function. */
    static final class Entry implements ReadWriteEntryView<SessionKey, Box> {
        final SessionKey key;
        Box value;
        int sets;

        Entry(SessionKey key) {
            this.key = key;
        }

        @Override
        public SessionKey key() {
            return key;
        }

        @Override
        public Box get() {
            if (value == null) {
                throw new NoSuchElementException();
            }
            return value;
        }

        @Override
        public Optional<Box> find() {
            return Optional.ofNullable(value);
        }

        @Override
        public Void set(Box v, MetaParam.Writable... metas) {
            value = v;
            sets++;
            return null;
        }

        @Override
        public Void set(Box v, Metadata metadata) {
            return set(v);
        }

        @Override
        public Void remove() {
            value = null;
            return null;
        }

        @Override
        public <T extends MetaParam> Optional<T> findMetaParam(Class<T> type) {
            return Optional.empty();
        }

        /** What a backup holds: a copy made through the marshalled form. */
        Entry copy() {
            Entry e = new Entry(key);
            e.value = value == null ? null : Box.fromBlob(value.toBlob());
            return e;
        }
    }

    static final SessionKey KEY = new SessionKey(0x1234_5678_9ABC_DEF0L, 0x0FED_CBA9_8765_4321L);

    static ClusterCommand command(int op, long id, String json) {
        ClusterCommand c = new ClusterCommand(op, id, NOW, json == null ? null : json.getBytes(StandardCharsets.UTF_8));
        c.member(member);
        return c;
    }

    static String run(Entry e, ClusterCommand c) {
        return new String(c.apply(e), StandardCharsets.UTF_8);
    }

    static String tkn() {
        byte[] b = new byte[TokenFormat.STRING_LENGTH];
        TokenFormat.writeBase64(KEY.hi, KEY.lo, b, 0);
        return new String(b, StandardCharsets.US_ASCII);
    }

    @Test
    void aRetriedWriteIsAnsweredFromTheRingAndAppliedOnce() {
        Entry e = new Entry(KEY);
        assertThat(run(e, command(ClusterCommand.NEW, 1, "{\"SH_NEW\":{}}"))).contains("\"st\":1", tkn());
        ClusterCommand add = command(ClusterCommand.RUN, 2, "{\"SH_ADD\":{\"tkn\":\"" + tkn() + "\",\"keys\":{\"a\":1}}}");
        String first = run(e, add);
        assertThat(first).contains("\"st\":1");
        run(e, command(ClusterCommand.RUN, 3, "{\"SH_RMV\":{\"tkn\":\"" + tkn() + "\",\"keys\":[\"a\"]}}"));
        int sets = e.sets;
        // Infinispan runs SH_ADD again after a topology change: without the ring it would add "a" back
        assertThat(run(e, add)).isEqualTo(first);
        assertThat(e.sets).as("still written, so a backup that missed it catches up").isEqualTo(sets + 1);
        assertThat(run(e, command(ClusterCommand.RUN, 4, "{\"SH_COUNT\":{\"tkn\":\"" + tkn() + "\"}}")))
                .contains("\"cnt\":0");
    }

    @Test
    void aRetriedEndAndARetriedNewGetTheirFirstAnswers() {
        Entry e = new Entry(KEY);
        ClusterCommand create = command(ClusterCommand.NEW, 10, "{\"SH_NEW\":{\"name\":\"n\"}}");
        String created = run(e, create);
        assertThat(run(e, create)).as("not 'token taken'").isEqualTo(created);
        ClusterCommand end = command(ClusterCommand.RUN, 11, "{\"SH_END\":{\"tkn\":\"" + tkn() + "\"}}");
        String ended = run(e, end);
        assertThat(ended).contains("\"st\":1");
        assertThat(e.value).as("a tombstone keeps the ring").isNotNull();
        assertThat(e.value.session).isNull();
        assertThat(run(e, end)).as("a retried SH_END is not 100").isEqualTo(ended);
        assertThat(run(e, command(ClusterCommand.RUN, 12, "{\"SH_GET\":{\"tkn\":\"" + tkn() + "\",\"keys\":[\"a\"]}}")))
                .contains("\"st\":100");
        // the tombstone goes when the wheel fires after its time
        ClusterCommand sweep = new ClusterCommand(ClusterCommand.EXPIRE, 0, NOW + ClusterCommand.TOMBSTONE_MILLIS, null);
        sweep.member(member);
        run(e, sweep);
        assertThat(e.value).isNull();
    }

    @Test
    void primaryAndBackupRunningTheSameCommandsStayEqual() {
        Entry primary = new Entry(KEY);
        Entry backup = new Entry(KEY);
        String[] script = {
            "{\"SH_NEW\":{\"expiry\":{\"duration\":10,\"deleteSession\":false,\"extendOnGet\":true}}}",
            "{\"SH_SET\":{\"tkn\":\"$T\",\"keys\":{\"a\":1,\"b\":[1,2],\"c\":\"x\"}}}",
            "{\"SH_RMV\":{\"tkn\":\"$T\",\"keys\":[\"b\"]}}",
            "{\"SH_GET\":{\"tkn\":\"$T\",\"keys\":[\"a\"]}}",
            "{\"SH_CLEAR_SET\":{\"tkn\":\"$T\",\"keys\":{\"z\":null}}}",
        };
        long id = 100;
        for (String s : script) {
            String json = s.replace("$T", tkn());
            int op = json.startsWith("{\"SH_NEW\"") ? ClusterCommand.NEW : ClusterCommand.RUN;
            ClusterCommand c = command(op, id++, json);
            String a = run(primary, c);
            String b = run(backup, c);
            assertThat(b).isEqualTo(a);
            assertThat(backup.value.toBlob()).as("after %s", json).isEqualTo(primary.value.toBlob());
        }
        // expiry with the same time on both copies: data cleared, the next period started, identically
        ClusterCommand expire = new ClusterCommand(ClusterCommand.EXPIRE, 0, NOW + 25_000, null);
        expire.member(member);
        run(primary, expire);
        run(backup, expire);
        assertThat(primary.value.session.keyCount()).isZero();
        assertThat(primary.value.session.deadline()).isEqualTo(NOW + 30_000);
        assertThat(Arrays.equals(backup.value.toBlob(), primary.value.toBlob())).isTrue();
        // state transfer: a copy through the marshalled form answers as the original
        Entry moved = primary.copy();
        ClusterCommand get = command(ClusterCommand.RUN, id, "{\"SH_INFO\":{\"tkn\":\"" + tkn() + "\"}}");
        assertThat(run(moved, get)).isEqualTo(run(primary, get));
    }

    /** Runs a train as a batch's function does, and reads its answers back by id. */
    static java.util.Map<Long, String> runTrain(Entry e, ClusterCommand... commands) {
        ManyEval.Apply apply = new ManyEval.Apply();
        byte[] answer = apply.apply(new ManyEval.Train(commands), e);
        java.util.Map<Long, byte[]> byId = new java.util.LinkedHashMap<>();
        ManyEval.answers(answer, byId);
        java.util.Map<Long, String> out = new java.util.LinkedHashMap<>();
        byId.forEach((id, b) -> out.put(id, new String(b, StandardCharsets.UTF_8)));
        return out;
    }

    @Test
    void aTrainRunsInOrderOnOneEntryAndARetriedTrainIsAnsweredFromTheRing() {
        Entry primary = new Entry(KEY);
        ClusterCommand[] train = {
            command(ClusterCommand.NEW, 21, "{\"SH_NEW\":{}}"),
            command(ClusterCommand.RUN, 22, "{\"SH_SET\":{\"tkn\":\"" + tkn() + "\",\"keys\":{\"n\":1}}}"),
            command(ClusterCommand.RUN, 23, "{\"SH_GET\":{\"tkn\":\"" + tkn() + "\",\"keys\":[\"n\"]}}"),
            command(ClusterCommand.RUN, 24, "{\"SH_ADD\":{\"tkn\":\"" + tkn() + "\",\"keys\":{\"a\":1}}}"),
            command(ClusterCommand.RUN, 25, "{\"SH_RMV\":{\"tkn\":\"" + tkn() + "\",\"keys\":[\"n\"]}}"),
            command(ClusterCommand.RUN, 26, "{\"SH_COUNT\":{\"tkn\":\"" + tkn() + "\"}}"),
        };
        Entry backup = primary.copy();
        java.util.Map<Long, String> answers = runTrain(primary, train);
        assertThat(answers.keySet()).as("one answer per command, in order").containsExactly(21L, 22L, 23L, 24L, 25L, 26L);
        assertThat(answers.get(21L)).contains("\"st\":1", tkn());
        assertThat(answers.get(23L)).as("sees the SET before it").contains("\"n\":1");
        assertThat(answers.get(26L)).as("sees the ADD and RMV before it").contains("\"cnt\":1");
        // the backup runs the same train on its copy: equal afterwards
        runTrain(backup, train);
        assertThat(backup.value.toBlob()).isEqualTo(primary.value.toBlob());
        // the batch timed out and is sent again with the same ids: same answers for what changed data, applied once
        java.util.Map<Long, String> again = runTrain(primary, train);
        assertThat(again.get(21L)).isEqualTo(answers.get(21L));
        assertThat(again.get(24L)).isEqualTo(answers.get(24L));
        assertThat(again.get(25L)).isEqualTo(answers.get(25L));
        assertThat(again.get(26L)).as("n not set again by the retried SH_SET").contains("\"cnt\":1");
        assertThat(runTrain(primary, command(ClusterCommand.RUN, 27, "{\"SH_GET\":{\"tkn\":\"" + tkn()
                + "\",\"keys\":[\"n\",\"a\"]}}")).get(27L)).doesNotContain("\"n\"").contains("\"a\":1");
    }

    static ClusterCommand batched(long id, String json) {
        ClusterCommand c = new ClusterCommand(ClusterCommand.RUN, id, NOW, json.getBytes(StandardCharsets.UTF_8),
                dev.satchel.engine.OwnerExecutor.BATCHED);
        c.member(member);
        return c;
    }

    /**
     * A batch formed while every member had room (ROOMY): writes that grow the data run (on every copy alike)
     * instead of bouncing; limits.maxKeysPerSession, which depends on the session and the command alone, still
     * refuses, alike on every copy, and the refusal is remembered; a new session is made (it bounces only from a
     * batch that is not ROOMY).
     */
    @Test
    void aRoomyBatchRunsWritesThatGrowAndOnlyTheKeyLimitRefusesAlikeOnEveryCopy() {
        SatchelNode small = new SatchelNode(TestServer.config("--cluster", "true", "--cluster-members",
                "127.0.0.1:7800", "--cluster-secret", "unit-test-secret-0123456789", "--max-keys-per-session", "3",
                "--max-stored-bytes", "1000000000"), Clock.system());
        try {
            ClusterMember m = small.cluster();
            Entry primary = new Entry(KEY);
            ClusterCommand create = command(ClusterCommand.NEW, 60, "{\"SH_NEW\":{}}");
            create.member(m);
            run(primary, create);
            Entry backup = primary.copy();
            String t = tkn();
            java.util.function.BiFunction<Long, String, ClusterCommand> roomy = (id, json) -> {
                ClusterCommand c = new ClusterCommand(ClusterCommand.RUN, id, NOW,
                        json.getBytes(StandardCharsets.UTF_8), dev.satchel.engine.OwnerExecutor.ROOMY);
                c.member(m);
                return c;
            };
            ClusterCommand[] train = {
                roomy.apply(61L, "{\"SH_SET\":{\"tkn\":\"" + t + "\",\"keys\":{\"a\":1,\"b\":2}}}"), // new keys
                roomy.apply(62L, "{\"SH_SET\":{\"tkn\":\"" + t + "\",\"keys\":{\"a\":\"longer\"}}}"), // larger
                roomy.apply(63L, "{\"SH_SET\":{\"tkn\":\"" + t + "\",\"keys\":{\"c\":3,\"d\":4}}}"), // 4 keys > 3
                roomy.apply(64L, "{\"SH_ADD\":{\"tkn\":\"" + t + "\",\"keys\":{\"c\":3}}}"), // 3 keys: fits
                roomy.apply(65L, "{\"SH_GET\":{\"tkn\":\"" + t + "\",\"keys\":[\"a\",\"c\",\"d\"]}}"),
            };
            java.util.Map<Long, String> answers = runBatched(primary, train);
            assertThat(answers.get(61L)).isEqualTo("{\"SH_SET_RSP\":{\"st\":1}}");
            assertThat(answers.get(62L)).isEqualTo("{\"SH_SET_RSP\":{\"st\":1}}");
            assertThat(answers.get(63L)).as("the key limit refuses").contains("\"st\":170");
            assertThat(answers.get(64L)).isEqualTo("{\"SH_ADD_RSP\":{\"st\":1}}");
            assertThat(answers.get(65L)).contains("\"a\":\"longer\"", "\"c\":3").doesNotContain("\"d\"");
            assertThat(runBatched(backup, train)).as("the backup answers alike").isEqualTo(answers);
            assertThat(backup.value.toBlob()).isEqualTo(primary.value.toBlob());
            assertThat(runBatched(primary, train)).as("retried: answered from the ring").isEqualTo(answers);
            assertThat(primary.value.session.keyCount()).isEqualTo(3);
            // a new session: made in a ROOMY batch, alike on both copies; on a live token nothing (drawn again)
            byte[] json = "{\"SH_NEW\":{}}".getBytes(StandardCharsets.UTF_8);
            ClusterCommand made = new ClusterCommand(ClusterCommand.NEW, 66, NOW, json,
                    dev.satchel.engine.OwnerExecutor.ROOMY);
            made.member(m);
            Entry fresh = new Entry(KEY);
            Entry freshBackup = new Entry(KEY);
            assertThat(runBatched(fresh, made).get(66L)).contains("\"st\":1", "\"tkn\":\"" + t + "\"");
            assertThat(runBatched(freshBackup, made)).isEqualTo(runBatched(fresh, made));
            assertThat(freshBackup.value.toBlob()).isEqualTo(fresh.value.toBlob());
            ClusterCommand taken = new ClusterCommand(ClusterCommand.NEW, 67, NOW, json,
                    dev.satchel.engine.OwnerExecutor.ROOMY);
            taken.member(m);
            assertThat(runBatched(fresh, taken).get(67L)).as("the token is live").isEmpty();
            ClusterCommand bounced = new ClusterCommand(ClusterCommand.NEW, 68, NOW, json,
                    dev.satchel.engine.OwnerExecutor.BATCHED);
            bounced.member(m);
            assertThat(runBatched(new Entry(new SessionKey(7, 7)), bounced).get(68L)).as("not ROOMY: its primary decides")
                    .isEqualTo("BOUNCED");
        } finally {
            small.close();
        }
    }

    /** Runs a train as a batch's function does; a command not run answers "BOUNCED". */
    static java.util.Map<Long, String> runBatched(Entry e, ClusterCommand... commands) {
        byte[] answer = new ManyEval.Apply().apply(new ManyEval.Train(commands), e);
        java.util.Map<Long, byte[]> byId = new java.util.LinkedHashMap<>();
        ManyEval.answers(answer, byId);
        java.util.Map<Long, String> out = new java.util.LinkedHashMap<>();
        byId.forEach((id, b) -> out.put(id, b == ClusterCommand.BOUNCED ? "BOUNCED"
                : new String(b, StandardCharsets.UTF_8)));
        return out;
    }

    /**
     * In a batch no copy decides limits: writes that grow nothing run admitted; the first that would grow the
     * data (a new key, a larger value, more keys after CLEAR_SET) is not run, nor anything after it, identically
     * on primary and backup, and is not recorded, so a retried train runs the same commands and bounces it again,
     * and sent alone (its primary deciding) it is applied.
     */
    @Test
    void aBatchRunsWritesThatGrowNothingAndBouncesTheFirstThatGrows() {
        Entry primary = new Entry(KEY);
        run(primary, command(ClusterCommand.NEW, 40, "{\"SH_NEW\":{}}"));
        run(primary, command(ClusterCommand.RUN, 41, "{\"SH_SET\":{\"tkn\":\"" + tkn()
                + "\",\"keys\":{\"a\":\"xx\",\"b\":\"yyyy\"}}}"));
        Entry backup = primary.copy();
        String t = tkn();
        ClusterCommand[] train = {
            batched(42, "{\"SH_SET\":{\"tkn\":\"" + t + "\",\"keys\":{\"a\":\"zz\"}}}"), // same size
            batched(43, "{\"SH_RMV\":{\"tkn\":\"" + t + "\",\"keys\":[\"none\"]}}"),
            batched(44, "{\"SH_SET\":{\"tkn\":\"" + t + "\",\"keys\":{\"b\":\"y\"}}}"), // smaller
            batched(45, "{\"SH_ADD\":{\"tkn\":\"" + t + "\",\"keys\":{\"a\":\"longer\"}}}"), // a exists
            batched(46, "{\"SH_GET\":{\"tkn\":\"" + t + "\",\"keys\":[\"a\",\"b\"]}}"),
            batched(47, "{\"SH_SET\":{\"tkn\":\"" + t + "\",\"keys\":{\"b\":\"yy\"}}}"), // larger: bounced
            batched(48, "{\"SH_RMV\":{\"tkn\":\"" + t + "\",\"keys\":[\"a\"]}}"), // after it: not run
        };
        java.util.Map<Long, String> answers = runBatched(primary, train);
        assertThat(answers.keySet()).containsExactly(42L, 43L, 44L, 45L, 46L, 47L, 48L);
        assertThat(answers.get(42L)).contains("\"st\":1");
        assertThat(answers.get(44L)).contains("\"st\":1");
        assertThat(answers.get(46L)).contains("\"a\":\"zz\"", "\"b\":\"y\"");
        assertThat(answers.get(47L)).isEqualTo("BOUNCED");
        assertThat(answers.get(48L)).isEqualTo("BOUNCED");
        assertThat(primary.value.session.keyCount()).as("the RMV after the bounced write did not run").isEqualTo(2);
        assertThat(runBatched(backup, train)).as("the backup stops at the same command").isEqualTo(answers);
        assertThat(backup.value.toBlob()).isEqualTo(primary.value.toBlob());
        // retried (a timeout): what ran is answered from the ring, the same write bounces again
        java.util.Map<Long, String> again = runBatched(primary, train);
        assertThat(again.get(42L)).isEqualTo(answers.get(42L));
        assertThat(again.get(47L)).isEqualTo("BOUNCED");
        // alone, by eval, with the same id: its primary decides and it is applied, once
        ClusterCommand alone = command(ClusterCommand.RUN, 47, "{\"SH_SET\":{\"tkn\":\"" + t
                + "\",\"keys\":{\"b\":\"yy\"}}}");
        assertThat(run(primary, alone)).contains("\"st\":1");
        assertThat(alone.verdict).isEqualTo(dev.satchel.engine.OwnerExecutor.ADMITTED);
        assertThat(runBatched(primary, train).get(47L)).as("now in the ring").contains("\"st\":1");
        // a new key, and CLEAR_SET to more keys of fewer bytes, grow the data too
        assertThat(runBatched(primary, batched(49, "{\"SH_SET\":{\"tkn\":\"" + t
                + "\",\"keys\":{\"c\":1}}}")).get(49L)).isEqualTo("BOUNCED");
        assertThat(runBatched(primary, batched(50, "{\"SH_CLEAR_SET\":{\"tkn\":\"" + t
                + "\",\"keys\":{\"p\":1,\"q\":2,\"r\":3}}}")).get(50L)).isEqualTo("BOUNCED");
        assertThat(runBatched(primary, batched(51, "{\"SH_CLEAR_SET\":{\"tkn\":\"" + t
                + "\",\"keys\":{\"p\":1}}}")).get(51L)).as("fewer keys, fewer bytes").contains("\"st\":1");
        assertThat(primary.value.session.keyCount()).isEqualTo(1);
    }
}
