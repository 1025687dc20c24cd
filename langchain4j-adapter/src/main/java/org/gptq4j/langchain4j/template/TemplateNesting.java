package org.gptq4j.langchain4j.template;

import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.DisabledException;
import com.hubspot.jinjava.lib.tag.EndTag;
import com.hubspot.jinjava.lib.tag.FlexibleTag;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.parse.ExpressionToken;
import com.hubspot.jinjava.tree.parse.TagToken;
import com.hubspot.jinjava.tree.parse.Token;
import com.hubspot.jinjava.tree.parse.TokenScanner;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import org.gptq4j.langchain4j.template.TemplateLimitException.Limit;

/**
 * How deeply a template nests, measured before Jinjava parses it: Jinjava's parser and renderer recurse once per
 * block and per bracket or operator of an expression, so a template nested thousands deep would end in a
 * {@link StackOverflowError}. Uses Jinjava's own (iterative) token scanner, so blocks are matched as its parser
 * matches them; an expression's depth is bounded from above by its operators and brackets.
 */
final class TemplateNesting {
    private static final Set<String> WORD_OPERATORS = Set.of("and", "or", "not", "in", "is", "if", "else");
    private static final String OPERATOR_CHARS = "+-*/%~|<>=!.";

    private TemplateNesting() {}

    /** Throws a {@link TemplateLimitException} if {@code source} nests deeper than {@code maxDepth}. */
    static void requireAtMost(int maxDepth, String source, JinjavaConfig config, Context tags) {
        Deque<String> open = new ArrayDeque<>(); // the end tag names of the open blocks, innermost first
        TokenScanner scanner = new TokenScanner(source, config);
        while (scanner.hasNext()) {
            Token token = scanner.next();
            if (token instanceof ExpressionToken expression) {
                requireExpression(maxDepth, expression.getExpr(), token);
            } else if (token instanceof TagToken tagToken) {
                requireExpression(maxDepth, tagToken.getHelpers(), token);
                Tag tag = tag(tags, tagToken.getTagName());
                if (tag instanceof EndTag) {
                    while (!open.isEmpty() && !open.pop().equals(tag.getEndTagName())) {
                        // unmatched blocks close here too, as Jinjava's parser closes them
                    }
                } else if (tag != null && tag.getEndTagName() != null
                        && (!(tag instanceof FlexibleTag flexible) || flexible.hasEndTag(tagToken))) {
                    open.push(tag.getEndTagName());
                    if (open.size() > maxDepth) {
                        throw tooDeep(maxDepth, "blocks nest deeper at line " + token.getLineNumber());
                    }
                }
            }
        }
    }

    private static Tag tag(Context tags, String name) {
        try {
            return tags.getTag(name);
        } catch (DisabledException refusedWhenParsed) {
            return null;
        }
    }

    private static void requireExpression(int maxDepth, String expression, Token token) {
        if (expression != null && expressionDepth(expression) > maxDepth) {
            throw tooDeep(maxDepth, "an expression nests deeper at line " + token.getLineNumber());
        }
    }

    /**
     * An upper bound of the depth of {@code expression}'s syntax tree: per bracket level, one for each operator
     * character or operator word, plus the deepest bracket inside.
     */
    static int expressionDepth(String expression) {
        Deque<int[]> levels = new ArrayDeque<>(); // {operators, deepest inner level}
        levels.push(new int[2]);
        int i = 0;
        int n = expression.length();
        while (i < n) {
            char c = expression.charAt(i);
            if (c == '\'' || c == '"') {
                i++;
                while (i < n && expression.charAt(i) != c) i += expression.charAt(i) == '\\' ? 2 : 1;
                i++;
            } else if (c == '(' || c == '[' || c == '{') {
                levels.push(new int[2]);
                i++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (levels.size() > 1) close(levels);
                i++;
            } else if (Character.isJavaIdentifierStart(c)) {
                int start = i;
                while (i < n && Character.isJavaIdentifierPart(expression.charAt(i))) i++;
                if (WORD_OPERATORS.contains(expression.substring(start, i))) levels.peek()[0]++;
            } else {
                if (OPERATOR_CHARS.indexOf(c) >= 0) levels.peek()[0]++;
                i++;
            }
        }
        while (levels.size() > 1) close(levels);
        int[] root = levels.pop();
        return root[0] + root[1] + 1;
    }

    private static void close(Deque<int[]> levels) {
        int[] inner = levels.pop();
        int[] outer = levels.peek();
        outer[1] = Math.max(outer[1], inner[0] + inner[1] + 1);
    }

    private static TemplateLimitException tooDeep(int maxDepth, String what) {
        return new TemplateLimitException(Limit.MAX_NESTING_DEPTH, String.valueOf(maxDepth), what);
    }
}
