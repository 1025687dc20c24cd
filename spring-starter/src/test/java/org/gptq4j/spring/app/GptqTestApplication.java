package org.gptq4j.spring.app;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** An application with nothing but the starter, as a user would write it. */
@SpringBootApplication
public class GptqTestApplication {
}
