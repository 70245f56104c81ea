package io.omoib.vton.service;

import io.omoib.vton.preprocess.ClothType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
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
    /** Hex digits of the raw part's SHA-256 added when sanitising changed it. */
    private static final int HASH_DIGITS = 12;

    /**
     * Checks that no part is null or empty.
     *
     * @param userId the user; never empty
     * @param clothType the cloth type of the try-on
     * @param timestamp the caller's timestamp text; never empty
     */
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
     * Makes a part safe for a path or key without letting two different parts meet: a part of at most
     * 100 characters from {@code [A-Za-z0-9._-]} that does not start with a dot is kept as it is;
     * any other is rewritten (every other character becomes {@code _}, a leading dot is escaped, the
     * text is cut) and gets {@code -} and the first 12 hex digits of the SHA-256 of the raw part, so
     * {@code a/b}, {@code a_b} and {@code a:b} name three results.
     *
     * @param part a user id or timestamp
     * @return a single safe file name or key segment of at most 100 characters ({@code ../../etc}
     *     becomes {@code _.._.._etc-} and 12 hex digits)
     */
    public static String sanitize(String part) {
        StringBuilder s = new StringBuilder(Math.min(part.length(), MAX_PART) + 1);
        boolean changed = part.length() > MAX_PART;
        for (int i = 0; i < part.length() && s.length() < MAX_PART; i++) {
            char c = part.charAt(i);
            boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            s.append(safe ? c : '_');
            changed |= !safe;
        }
        if (s.length() == 0 || s.charAt(0) == '.') {
            s.insert(0, '_');
            changed = true;
        }
        if (!changed) {
            return s.toString();
        }
        s.setLength(Math.min(s.length(), MAX_PART - HASH_DIGITS - 1));
        return s.append('-').append(sha256Hex(part), 0, HASH_DIGITS).toString();
    }

    private static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
