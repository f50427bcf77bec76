package dev.satchel.engine;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** Every command the server knows, found by name without allocating. Immutable; shared by all threads. */
public final class CommandRegistry {
    private final Command[] commands;

    public CommandRegistry(List<Command> commands) {
        this.commands = commands.toArray(new Command[0]);
        for (int i = 0; i < this.commands.length; i++) {
            for (int j = 0; j < i; j++) {
                if (this.commands[i].name().equals(this.commands[j].name())) {
                    throw new IllegalArgumentException("duplicate command " + this.commands[i].name());
                }
            }
            this.commands[i].index(i);
        }
    }

    /** The command whose name is {@code b[from, to)} (ASCII), or null. */
    public Command lookup(byte[] b, int from, int to) {
        int i = position(b, from, to);
        return i < 0 ? null : commands[i];
    }

    /** The position of the command whose name is {@code b[from, to)} (ASCII), or -1. */
    public int position(byte[] b, int from, int to) {
        int n = to - from;
        for (int i = 0; i < commands.length; i++) {
            byte[] name = commands[i].nameBytes();
            if (name.length == n && Arrays.equals(name, 0, n, b, from, to)) {
                return i;
            }
        }
        return -1;
    }

    /** The command at {@code position} (0 to {@link #size()} - 1). */
    public Command get(int position) {
        return commands[position];
    }

    /** Number of commands. */
    public int size() {
        return commands.length;
    }

    public Command lookup(byte[] name) {
        return lookup(name, 0, name.length);
    }

    public Command lookup(String name) {
        return lookup(name.getBytes(StandardCharsets.UTF_8));
    }

    public List<String> names() {
        List<String> names = new ArrayList<>();
        for (Command c : commands) {
            names.add(c.name());
        }
        return Collections.unmodifiableList(names);
    }
}
