package dev.satchel.cluster;

import java.io.IOException;
import org.infinispan.protostream.FileDescriptorSource;
import org.infinispan.protostream.MessageMarshaller;
import org.infinispan.protostream.SerializationContext;
import org.infinispan.protostream.SerializationContextInitializer;

/**
 * How members marshal what they send each other (ProtoStream, written by hand: the annotation processor of
 * ProtoStream 6 is not available here, and six messages do not need it). No reflection and no Java
 * serialization: an unknown class is never instantiated from the wire. The {@code @TypeId} doc comments give
 * each message the compact id written in front of it (ids 7101-7106, a range Infinispan does not use);
 * fields are read in declaration order (ProtoStream warns on every out-of-order read).
 */
final class ClusterSchema implements SerializationContextInitializer {
    static final String PROTO = """
            syntax = "proto2";
            package satchel;
            /**
             * @TypeId(7101)
             */
            message SessionKey { optional int64 hi = 1; optional int64 lo = 2; }
            /**
             * @TypeId(7102)
             */
            message Box { optional bytes blob = 1; }
            /**
             * @TypeId(7103)
             */
            message ClusterCommand { optional int32 op = 1; optional int64 id = 2; optional int64 now = 3; optional bytes message = 4; optional int32 verdict = 5; optional int64 stamp = 6; optional bytes order = 7; }
            /**
             * @TypeId(7104)
             */
            message MemberTask { optional int32 op = 1; optional int64 now = 2; optional bytes args = 3; }
            /**
             * @TypeId(7105)
             */
            message ManyApply { }
            /**
             * @TypeId(7106)
             */
            message Train { repeated ClusterCommand commands = 1; }
            """;

    @Override
    public void registerSchema(SerializationContext ctx) {
        ctx.registerProtoFiles(FileDescriptorSource.fromString("satchel-cluster.proto", PROTO));
    }

    @Override
    public void registerMarshallers(SerializationContext ctx) {
        ctx.registerMarshaller(marshaller(SessionKey.class, "satchel.SessionKey",
                r -> new SessionKey(r.readLong("hi"), r.readLong("lo")),
                (w, k) -> {
                    w.writeLong("hi", k.hi);
                    w.writeLong("lo", k.lo);
                }));
        ctx.registerMarshaller(marshaller(Box.class, "satchel.Box",
                r -> Box.fromBlob(r.readBytes("blob")),
                (w, b) -> w.writeBytes("blob", b.toBlob())));
        ctx.registerMarshaller(marshaller(ClusterCommand.class, "satchel.ClusterCommand",
                r -> {
                    int op = r.readInt("op");
                    long id = r.readLong("id");
                    long now = r.readLong("now");
                    byte[] message = r.readBytes("message");
                    Integer verdict = r.readInt("verdict");
                    Long stamp = r.readLong("stamp");
                    byte[] order = r.readBytes("order");
                    return new ClusterCommand(op, id, now, message, verdict == null ? 0 : verdict.byteValue(),
                            stamp == null ? 0 : stamp, order == null ? null : ints(order));
                },
                (w, c) -> {
                    w.writeInt("op", c.op);
                    w.writeLong("id", c.id);
                    w.writeLong("now", c.now);
                    if (c.message != null) {
                        w.writeBytes("message", c.message);
                    }
                    w.writeInt("verdict", c.verdict);
                    w.writeLong("stamp", c.stamp);
                    if (c.order != null) {
                        w.writeBytes("order", bytes(c.order));
                    }
                }));
        ctx.registerMarshaller(marshaller(MemberTask.class, "satchel.MemberTask",
                r -> {
                    int op = r.readInt("op");
                    long now = r.readLong("now");
                    return new MemberTask(op, now, r.readBytes("args"));
                },
                (w, t) -> {
                    w.writeInt("op", t.op);
                    w.writeLong("now", t.now);
                    if (t.args != null) {
                        w.writeBytes("args", t.args);
                    }
                }));
        ctx.registerMarshaller(marshaller(ManyEval.Apply.class, "satchel.ManyApply",
                r -> new ManyEval.Apply(), // no state: the member it runs on is injected there
                (w, a) -> { }));
        ctx.registerMarshaller(marshaller(ManyEval.Train.class, "satchel.Train",
                r -> new ManyEval.Train(r.readArray("commands", ClusterCommand.class)),
                (w, t) -> w.writeArray("commands", t.commands, ClusterCommand.class)));
    }

    /** The ints of {@link #bytes}. */
    static int[] ints(byte[] b) {
        java.nio.IntBuffer in = java.nio.ByteBuffer.wrap(b).asIntBuffer();
        int[] out = new int[in.remaining()];
        in.get(out);
        return out;
    }

    /** {@code ints} packed big-endian, 4 bytes each. */
    static byte[] bytes(int[] ints) {
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(ints.length * 4);
        out.asIntBuffer().put(ints);
        return out.array();
    }

    /** Reads one message's fields, in declaration order. */
    private interface Reader<T> {
        T read(MessageMarshaller.ProtoStreamReader r) throws IOException;
    }

    /** Writes one message's fields, in declaration order. */
    private interface Writer<T> {
        void write(MessageMarshaller.ProtoStreamWriter w, T value) throws IOException;
    }

    /** The marshaller of the message {@code name} for {@code type}, from how its fields are read and written. */
    private static <T> MessageMarshaller<T> marshaller(Class<T> type, String name, Reader<T> reader,
            Writer<T> writer) {
        return new MessageMarshaller<>() {
            @Override
            public T readFrom(ProtoStreamReader r) throws IOException {
                return reader.read(r);
            }

            @Override
            public void writeTo(ProtoStreamWriter w, T value) throws IOException {
                writer.write(w, value);
            }

            @Override
            public Class<? extends T> getJavaClass() {
                return type;
            }

            @Override
            public String getTypeName() {
                return name;
            }
        };
    }
}
