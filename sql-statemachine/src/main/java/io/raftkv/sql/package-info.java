/**
 * A replicated SQLite database as a raftkv {@link io.raftkv.core.statemachine.StateMachine} (rqlite's job, on
 * raftkv's Raft). {@link io.raftkv.sql.SqlStateMachine} applies {@link io.raftkv.sql.SqlCommand}s (statements with
 * parameters, optionally one transaction) and answers {@link io.raftkv.sql.SqlQuery}s; {@link io.raftkv.sql.SqlCodec}
 * is their byte format; {@link io.raftkv.sql.LeaderStamp} is the step the front door runs before proposing;
 * {@code io.raftkv.sql.http} is the rqlite-style HTTP API. See the module README.
 */
package io.raftkv.sql;
