package org.gptq4j.samples.agent;

import dev.langchain4j.agent.tool.Tool;

/** Arithmetic the model should not do in its head. */
public class Calculator {

    public enum Operator { ADD, SUBTRACT, MULTIPLY, DIVIDE }

    @Tool("Computes a (operator) b")
    public double calculate(double a, Operator operator, double b) {
        return switch (operator) {
            case ADD -> a + b;
            case SUBTRACT -> a - b;
            case MULTIPLY -> a * b;
            case DIVIDE -> a / b;
        };
    }
}
