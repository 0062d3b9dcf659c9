package io.raftkv.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

import static io.raftkv.transport.netty.MalformedFrameException.Reason.BAD_VERSION;
import static io.raftkv.transport.netty.MalformedFrameException.Reason.TOO_LARGE;

/**
 * Splits the byte stream into frames ({@code length:u32 | version:u8 | type:u8 | payload}) and decodes each with
 * {@link MessageCodec}, emitting {@link Handshake}s and {@link io.raftkv.core.message.RaftMessage}s.
 *
 * <p>The length is checked <em>before</em> any byte of the frame is buffered: a frame larger than the
 * configured maximum is rejected at once, so a hostile length field cannot make the node buffer 4 GiB. The
 * payload is decoded from a slice of the receive buffer (no copy). After the first bad frame the decoder
 * discards everything else on the connection, which the connection handler then closes.
 */
final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxFrameBytes;
    private boolean failed;

    FrameDecoder(int maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < WireFormat.LENGTH_FIELD_BYTES) {
            return;
        }
        long length = in.getUnsignedInt(in.readerIndex());
        if (length < WireFormat.HEADER_BYTES || length > maxFrameBytes) {
            throw fail(in, new MalformedFrameException(TOO_LARGE, "frame length " + length
                    + " outside [" + WireFormat.HEADER_BYTES + ", " + maxFrameBytes + "]"));
        }
        if (in.readableBytes() < WireFormat.LENGTH_FIELD_BYTES + length) {
            return; // wait for the rest of the frame
        }
        in.skipBytes(WireFormat.LENGTH_FIELD_BYTES);
        int version = in.readUnsignedByte();
        byte type = in.readByte();
        int payloadLength = (int) length - WireFormat.HEADER_BYTES;
        ByteBuf payload = in.slice(in.readerIndex(), payloadLength);
        in.skipBytes(payloadLength);
        if (version != WireFormat.PROTOCOL_VERSION) {
            throw fail(in, new MalformedFrameException(BAD_VERSION, "frame version " + version
                    + ", this node speaks " + WireFormat.PROTOCOL_VERSION));
        }
        try {
            out.add(MessageCodec.decode(type, payload));
        } catch (MalformedFrameException e) {
            throw fail(in, e);
        }
    }

    private MalformedFrameException fail(ByteBuf in, MalformedFrameException e) {
        failed = true;
        in.skipBytes(in.readableBytes());
        return e;
    }
}
