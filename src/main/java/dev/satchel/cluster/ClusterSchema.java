package dev.satchel.cluster;

import java.io.IOException;
import org.infinispan.protostream.FileDescriptorSource;
import org.infinispan.protostream.MessageMarshaller;
import org.infinispan.protostream.SerializationContext;
import org.infinispan.protostream.SerializationContextInitializer;

/**
 * How members marshal what they send each other (ProtoStream, written by hand: the annotation processor of
 * ProtoStream 6 is not available here, and four messages do not need it). No reflection and no Java
 * serialization: an unknown class is never instantiated from the wire. The {@code @TypeId} doc comments give
 * each message the compact id written in front of it (ids 7101-7104, a range Infinispan does not use);
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
            message ClusterCommand { optional int32 op = 1; optional int64 id = 2; optional int64 now = 3; optional bytes message = 4; optional int32 verdict = 5; }
            /**
             * @TypeId(7104)
             */
            message MemberTask { optional int32 op = 1; optional int64 now = 2; }
            """;

    @Override
    public void registerSchema(SerializationContext ctx) {
        ctx.registerProtoFiles(FileDescriptorSource.fromString("satchel-cluster.proto", PROTO));
    }

    @Override
    public void registerMarshallers(SerializationContext ctx) {
        ctx.registerMarshaller(new M<>(SessionKey.class, "satchel.SessionKey") {
            @Override
            public SessionKey readFrom(ProtoStreamReader r) throws IOException {
                long hi = r.readLong("hi");
                long lo = r.readLong("lo");
                return new SessionKey(hi, lo);
            }

            @Override
            public void writeTo(ProtoStreamWriter w, SessionKey k) throws IOException {
                w.writeLong("hi", k.hi);
                w.writeLong("lo", k.lo);
            }
        });
        ctx.registerMarshaller(new M<>(Box.class, "satchel.Box") {
            @Override
            public Box readFrom(ProtoStreamReader r) throws IOException {
                return Box.fromBlob(r.readBytes("blob"));
            }

            @Override
            public void writeTo(ProtoStreamWriter w, Box b) throws IOException {
                w.writeBytes("blob", b.toBlob());
            }
        });
        ctx.registerMarshaller(new M<>(ClusterCommand.class, "satchel.ClusterCommand") {
            @Override
            public ClusterCommand readFrom(ProtoStreamReader r) throws IOException {
                int op = r.readInt("op");
                long id = r.readLong("id");
                long now = r.readLong("now");
                byte[] message = r.readBytes("message");
                Integer verdict = r.readInt("verdict");
                return new ClusterCommand(op, id, now, message, verdict == null ? 0 : verdict.byteValue());
            }

            @Override
            public void writeTo(ProtoStreamWriter w, ClusterCommand c) throws IOException {
                w.writeInt("op", c.op);
                w.writeLong("id", c.id);
                w.writeLong("now", c.now);
                if (c.message != null) {
                    w.writeBytes("message", c.message);
                }
                w.writeInt("verdict", c.verdict);
            }
        });
        ctx.registerMarshaller(new M<>(MemberTask.class, "satchel.MemberTask") {
            @Override
            public MemberTask readFrom(ProtoStreamReader r) throws IOException {
                int op = r.readInt("op");
                long now = r.readLong("now");
                return new MemberTask(op, now);
            }

            @Override
            public void writeTo(ProtoStreamWriter w, MemberTask t) throws IOException {
                w.writeInt("op", t.op);
                w.writeLong("now", t.now);
            }
        });
    }

    /** A marshaller's class and message name. */
    private abstract static class M<T> implements MessageMarshaller<T> {
        private final Class<T> type;
        private final String name;

        M(Class<T> type, String name) {
            this.type = type;
            this.name = name;
        }

        @Override
        public Class<? extends T> getJavaClass() {
            return type;
        }

        @Override
        public String getTypeName() {
            return name;
        }
    }
}
