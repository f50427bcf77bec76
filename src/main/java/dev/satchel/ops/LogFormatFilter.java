package dev.satchel.ops;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Lets an appender of logback.xml write only while its format is the selected one: the "text" and "json"
 * appenders are both attached and each carries this filter, so the format can be chosen by
 * {@code SATCHEL_LOG_FORMAT} in the file and changed later by {@link Logging#configure} (log.format from the
 * config file or a flag), without Janino or unreferenced appenders.
 */
public final class LogFormatFilter extends Filter<ILoggingEvent> {
    private String format = "text";
    private volatile boolean on = true;
    private String selected = "text";

    /** The format of the appender carrying this filter. */
    public void setFormat(String format) {
        this.format = format.trim();
        this.on = this.format.equals(selected);
    }

    /** The format in use. */
    public void setSelected(String selected) {
        this.selected = selected.trim();
        this.on = format.equals(this.selected);
    }

    public String getFormat() {
        return format;
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        return on ? FilterReply.NEUTRAL : FilterReply.DENY;
    }
}
