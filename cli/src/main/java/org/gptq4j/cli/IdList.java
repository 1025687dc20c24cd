package org.gptq4j.cli;

import picocli.CommandLine;

import java.util.Arrays;

/** Token ids or positions written as {@code 1,2,3}. */
record IdList(int[] values) {

    /** picocli converter for options of this type. */
    static final class Converter implements CommandLine.ITypeConverter<IdList> {
        @Override
        public IdList convert(String value) {
            if (value.isBlank()) return new IdList(new int[0]);
            try {
                return new IdList(Arrays.stream(value.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray());
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a comma-separated list of integers");
            }
        }
    }
}
