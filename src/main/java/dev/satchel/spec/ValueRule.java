package dev.satchel.spec;

import static dev.satchel.spec.Status.COMMAND_SYNTAX;
import static dev.satchel.spec.Status.PARAM_MISSING;
import static dev.satchel.spec.Status.SESSION_TOKEN_INVALID;
import static dev.satchel.spec.Status.VALUE_SIZE;
import static dev.satchel.spec.Status.VALUE_TYPE_INVALID;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * A rule a parameter's value must keep besides its JSON type, declared with the parameter ({@link ParamSpec#rules})
 * and checked by the request decoder, in declaration order, after the type. Each rule answers the statuses it
 * lists; a command's declaration must list them too ({@link CommandSpec} refuses one that does not).
 */
public enum ValueRule {
    /** An array with at least one item (any type): else 42 {@code "<name> must not be empty"}. */
    NON_EMPTY(EnumSet.of(VALUE_SIZE)),
    /**
     * A session name: 1 to {@link CommandSpecs#MAX_SESSION_NAME_BYTES} UTF-8 bytes and no unpaired surrogate escape
     * (UTF-8 cannot encode it, so it would hash like {@code "?"} and collide with other names): else 42.
     */
    SESSION_NAME(EnumSet.of(VALUE_SIZE)),
    /** A dataset name ({@link DatasetNames#problem}): else 42. */
    DATASET_NAME(EnumSet.of(VALUE_SIZE)),
    /** Every item of the array a well-formed session token: else 101 naming the item's index. */
    EVERY_ITEM_A_TOKEN(EnumSet.of(SESSION_TOKEN_INVALID)),
    /**
     * The members of {@code expiry}: {@code duration} required (26), a whole number of seconds, 0 or more (41), small
     * enough for a deadline in milliseconds (42); {@code deleteSession}, {@code extendOnSetAdd}, {@code extendOnGet}
     * booleans (41); no member twice (13). Other members are ignored.
     */
    EXPIRY_MEMBERS(EnumSet.of(COMMAND_SYNTAX, PARAM_MISSING, VALUE_TYPE_INVALID, VALUE_SIZE));

    private final Set<Status> statuses;

    ValueRule(EnumSet<Status> statuses) {
        this.statuses = Collections.unmodifiableSet(statuses);
    }

    /** The statuses a value that breaks this rule is answered with. */
    public Set<Status> statuses() {
        return statuses;
    }
}
