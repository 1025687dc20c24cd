package org.gptq4j.langchain4j.it;

/** Marks a suite whose knowledge-bound answers are scripted ({@link SuiteScript}): {@link TinyModelExclusions} excludes nothing there. */
interface ScriptedSuite {}
