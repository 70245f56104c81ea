package io.omoib.vton.service;

import io.omoib.vton.preprocess.ClothType;
import java.util.Objects;

/**
 * What names a try-on result in a sink: the user it is for, the cloth type and the caller's timestamp
 * (any text, such as the seed server's request {@code timestamp}). Sinks sanitise the parts before
 * they touch a path or key, so the values may be anything a client sent.
 *
 * @param userId the user; never empty
 * @param clothType the cloth type of the try-on
 * @param timestamp the caller's timestamp text; never empty
 */
public record ResultName(String userId, ClothType clothType, String timestamp) {
    /** The longest a part may be once sanitised. */
    static final int MAX_PART = 100;

    /** Checks that no part is null or empty. */
    public ResultName {
        Objects.requireNonNull(clothType, "clothType");
        if (userId == null || userId.isEmpty()) {
            throw new IllegalArgumentException("userId must not be empty");
        }
        if (timestamp == null || timestamp.isEmpty()) {
            throw new IllegalArgumentException("timestamp must not be empty");
        }
    }

    /**
     * @param part a user id or timestamp
     * @return the part with every character outside {@code [A-Za-z0-9._-]} replaced by {@code _}, a
     *     leading dot escaped, and cut to 100 characters: a single safe file name or key segment
     *     ({@code ../../etc} becomes {@code _.._.._etc})
     */
    public static String sanitize(String part) {
        StringBuilder s = new StringBuilder(Math.min(part.length(), MAX_PART) + 1);
        for (int i = 0; i < part.length() && s.length() < MAX_PART; i++) {
            char c = part.charAt(i);
            boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            s.append(safe ? c : '_');
        }
        if (s.length() == 0 || s.charAt(0) == '.') {
            s.insert(0, '_');
        }
        return s.toString();
    }
}
