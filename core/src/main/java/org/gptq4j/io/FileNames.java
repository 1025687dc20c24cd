package org.gptq4j.io;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** File names that come from inside a model folder (configs, indexes) and so must not lead out of it. */
final class FileNames {
    private FileNames() {}

    /**
     * Refuses {@code name} unless it names a file directly inside {@code folder}: not empty, not {@code .} or
     * {@code ..}, no separator of any platform, not absolute, no NUL. {@code what} says where the name came from.
     */
    static void requirePlain(Path folder, String name, String what) {
        boolean plain = !name.isEmpty() && !name.equals(".") && !name.equals("..")
                && name.indexOf('/') < 0 && name.indexOf('\\') < 0 && name.indexOf('\0') < 0;
        if (plain) {
            try {
                Path p = Path.of(name);
                plain = !p.isAbsolute() && p.getNameCount() == 1;
            } catch (InvalidPathException e) {
                plain = false;
            }
        }
        if (!plain) {
            throw new CheckpointException(what + " '" + name + "' is not a plain file name inside " + folder
                    + " (a path outside the model folder is refused)");
        }
    }
}
