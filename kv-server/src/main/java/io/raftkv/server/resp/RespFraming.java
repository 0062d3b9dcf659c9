package io.raftkv.server.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.redis.ArrayHeaderRedisMessage;
import io.netty.handler.codec.redis.BulkStringHeaderRedisMessage;
import io.netty.handler.codec.redis.BulkStringRedisContent;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.InlineCommandRedisMessage;
import io.netty.handler.codec.redis.LastBulkStringRedisContent;
import io.netty.handler.codec.redis.RedisMessage;
import io.netty.util.ReferenceCountUtil;

/**
 * The limits of one connection's input, checked on the pieces Netty's {@code RedisDecoder} emits, before its
 * aggregators allocate anything: a command is an array of bulk strings with at most {@code maxArrayElements}
 * elements, each at most {@code maxBulkBytes}, together at most {@code maxCommandBytes}. Anything else (a nested
 * array, an integer where an argument should be, a bulk string outside an array) is a protocol error, as in Redis.
 * A violation throws {@link RespProtocolException}, which closes the connection after the replies to the commands
 * before it; what follows is dropped unread.
 *
 * <p>It also knows whether the connection is in the middle of a command, for the incomplete-command timeout: either
 * inside an array or a bulk string (seen here), or holding a line the decoder has not seen the end of (the last byte
 * received was not a line feed: every RESP line ends with CRLF).
 */
final class RespFraming {
    private final RespOptions options;
    /** Elements still expected by the command being read; 0 when between commands. */
    private long remaining;
    private long commandBytes;
    private boolean inBulk;
    private boolean lastByteWasNewline = true;
    private boolean broken;
    /** Complete commands seen so far. */
    private long completed;

    RespFraming(RespOptions options) {
        this.options = options;
    }

    /** True if part of a command has arrived but not all of it. */
    boolean incomplete() {
        return remaining > 0 || inBulk || !lastByteWasNewline;
    }

    long completed() {
        return completed;
    }

    /** Goes before the decoder: notes the last byte of everything received. */
    ChannelInboundHandlerAdapter bytesWatcher() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (broken) {
                    ReferenceCountUtil.release(msg); // after a protocol error nothing more is decoded
                    return;
                }
                if (msg instanceof ByteBuf buf && buf.isReadable()) {
                    lastByteWasNewline = buf.getByte(buf.writerIndex() - 1) == '\n';
                }
                ctx.fireChannelRead(msg);
            }
        };
    }

    /** Goes between the decoder and the aggregators: enforces the limits. */
    ChannelInboundHandlerAdapter messageGuard() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (broken) {
                    ReferenceCountUtil.release(msg);
                    return;
                }
                try {
                    check((RedisMessage) msg);
                } catch (RespProtocolException e) {
                    broken = true;
                    ReferenceCountUtil.release(msg);
                    throw e;
                }
                ctx.fireChannelRead(msg);
            }
        };
    }

    private void check(RedisMessage msg) {
        if (remaining == 0) {
            if (msg instanceof ArrayHeaderRedisMessage h) {
                if (h.length() > options.maxArrayElements()) {
                    throw new RespProtocolException("array_too_large", "invalid multibulk length (" + h.length()
                            + " arguments; this server takes at most " + options.maxArrayElements() + ")");
                }
                remaining = Math.max(0, h.length());
                commandBytes = 0;
                if (remaining == 0) {
                    completed++; // *0 and *-1: nothing to run
                }
                return;
            }
            if (msg instanceof InlineCommandRedisMessage) {
                completed++;
                return;
            }
            throw new RespProtocolException("malformed", "expected '*', got '" + typeChar(msg) + "'");
        }
        if (msg instanceof BulkStringHeaderRedisMessage h && !inBulk) {
            if (h.bulkStringLength() > options.maxBulkBytes()) {
                throw new RespProtocolException("bulk_too_large", "invalid bulk length (" + h.bulkStringLength()
                        + " bytes; this server takes at most " + options.maxBulkBytes() + ")");
            }
            commandBytes += h.bulkStringLength();
            if (commandBytes > options.maxCommandBytes()) {
                throw new RespProtocolException("command_too_large", "command larger than "
                        + options.maxCommandBytes() + " bytes");
            }
            inBulk = true;
            return;
        }
        if (msg instanceof BulkStringRedisContent c && inBulk) {
            if (c instanceof LastBulkStringRedisContent) {
                inBulk = false;
                elementDone();
            }
            return;
        }
        if (msg instanceof FullBulkStringRedisMessage f && !inBulk) {
            if (f.isNull()) {
                throw new RespProtocolException("malformed", "invalid bulk length (a null bulk string is not an"
                        + " argument)");
            }
            elementDone();
            return;
        }
        throw new RespProtocolException("malformed", "expected '$', got '" + typeChar(msg) + "'");
    }

    private void elementDone() {
        if (--remaining == 0) {
            completed++;
        }
    }

    private static char typeChar(RedisMessage msg) {
        String type = msg.getClass().getSimpleName();
        if (type.startsWith("SimpleString")) {
            return '+';
        } else if (type.startsWith("Error")) {
            return '-';
        } else if (type.startsWith("Integer")) {
            return ':';
        } else if (type.startsWith("Array")) {
            return '*';
        } else if (type.contains("Bulk")) {
            return '$';
        }
        return '?';
    }
}
