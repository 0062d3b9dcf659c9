package io.raftkv.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.raftkv.core.message.RaftMessage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FrameDecoderTest {

    @Test
    void framesSplitAtEveryByteAreReassembled() {
        RandomMessages gen = new RandomMessages(11);
        List<RaftMessage> sent = new ArrayList<>();
        ByteBuf stream = Unpooled.buffer();
        for (int kind = 0; kind < RandomMessages.TYPE_COUNT; kind++) {
            RaftMessage m = gen.message(kind);
            sent.add(m);
            ByteBuf frame = MessageCodec.encode(ByteBufAllocator.DEFAULT, m);
            stream.writeBytes(frame);
            frame.release();
        }
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(WireFormat.DEFAULT_MAX_FRAME_BYTES));
        // Feed in chunks of varying size, down to single bytes.
        int chunk = 1;
        while (stream.isReadable()) {
            int n = Math.min(chunk, stream.readableBytes());
            ch.writeInbound(stream.readRetainedSlice(n));
            chunk = chunk * 3 % 1000 + 1;
        }
        stream.release();
        for (RaftMessage expected : sent) {
            RandomMessages.assertSameMessage(expected, ch.readInbound(), "seed 11");
        }
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }

    @Test
    void oversizedLengthIsRejectedBeforeTheFrameArrives() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1024));
        ByteBuf header = Unpooled.buffer().writeInt(1025).writeByte(1).writeByte(WireFormat.TIMEOUT_NOW);
        MalformedFrameException e = assertThrows(MalformedFrameException.class, () -> ch.writeInbound(header));
        assertEquals(MalformedFrameException.Reason.TOO_LARGE, e.reason());
        // Everything after a bad frame is discarded, never decoded.
        ByteBuf good = MessageCodec.encode(ByteBufAllocator.DEFAULT, new io.raftkv.core.message.TimeoutNow("a", "b", 1));
        ch.writeInbound(good);
        assertNull(ch.readInbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void lengthWithTheTopBitSetIsRejected() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(WireFormat.DEFAULT_MAX_FRAME_BYTES));
        assertThrows(MalformedFrameException.class,
                () -> ch.writeInbound(Unpooled.buffer().writeInt(0xFFFFFFFF)));
        EmbeddedChannel ch2 = new EmbeddedChannel(new FrameDecoder(WireFormat.DEFAULT_MAX_FRAME_BYTES));
        assertThrows(MalformedFrameException.class, () -> ch2.writeInbound(Unpooled.buffer().writeInt(1).writeByte(1)));
    }

    @Test
    void unknownVersionIsRejected() {
        ByteBuf frame = MessageCodec.encode(ByteBufAllocator.DEFAULT, new io.raftkv.core.message.TimeoutNow("a", "b", 1));
        frame.setByte(4, WireFormat.PROTOCOL_VERSION + 1);
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(WireFormat.DEFAULT_MAX_FRAME_BYTES));
        MalformedFrameException e = assertThrows(MalformedFrameException.class, () -> ch.writeInbound(frame));
        assertEquals(MalformedFrameException.Reason.BAD_VERSION, e.reason());
    }
}
