package org.gptq4j.tokenizer;
abstract class HuggingFaceTokenizer implements Tokenizer { static Tokenizer load(java.nio.file.Path p) { throw new TokenizerException("todo"); } }
