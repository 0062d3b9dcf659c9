package io.raftkv.core;

/** Volatile state worth reporting when it changes: role, term and who the leader is (null if unknown). */
public record SoftState(Role role, long term, String leaderId) {
}
