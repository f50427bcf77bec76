package dev.satchel.ops;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.filter.Filter;
import java.util.Iterator;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * The log format switch. logback.xml attaches a "text" and a "json" appender to the root logger, each with a
 * {@link LogFormatFilter}; {@code SATCHEL_LOG_FORMAT} selects one before anything logs, and {@link #configure}
 * applies {@code log.format} from the config file or {@code --log-format} once the configuration is loaded.
 * A Logback configuration without those filters (an operator's own, or the tests') is left alone.
 */
public final class Logging {
    private Logging() {
    }

    /** Selects {@code format} ("text" or "json"); returns false if the Logback configuration has no such switch. */
    public static boolean configure(String format) {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext context)) {
            return false;
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        boolean found = false;
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            for (Filter<ILoggingEvent> f : it.next().getCopyOfAttachedFiltersList()) {
                if (f instanceof LogFormatFilter s) {
                    s.setSelected(format);
                    found = true;
                }
            }
        }
        return found;
    }
}
