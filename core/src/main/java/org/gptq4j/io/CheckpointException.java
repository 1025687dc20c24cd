package org.gptq4j.io;

/** A weight file or model folder that cannot be read as it claims to be; the message names the file and tensor. */
public class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
