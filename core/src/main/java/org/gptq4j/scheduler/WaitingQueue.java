package org.gptq4j.scheduler;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * New requests waiting for admission, first in first out, bounded: any thread offers, the engine thread takes.
 * Also the engine thread's doorbell: offering, or {@link #wake()} (after a cancellation), ends its
 * {@link #awaitWork} early.
 */
final class WaitingQueue {
    private final int capacity;
    private final ArrayDeque<Sequence> queue = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private boolean signalled;
    private boolean closed;

    WaitingQueue(int capacity) {
        this.capacity = capacity;
    }

    /**
     * Adds at the tail; false when {@code capacity} requests are already waiting.
     *
     * @throws IllegalStateException once {@link #closeAndDrain()} was called
     */
    boolean offer(Sequence sequence) {
        lock.lock();
        try {
            if (closed) throw new IllegalStateException("the scheduler is shut down");
            if (queue.size() >= capacity) return false;
            queue.addLast(sequence);
            signalled = true;
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    Sequence peek() {
        lock.lock();
        try {
            return queue.peekFirst();
        } finally {
            lock.unlock();
        }
    }

    void removeHead(Sequence expected) {
        lock.lock();
        try {
            if (queue.pollFirst() != expected) throw new IllegalStateException("waiting queue head changed under the engine thread");
        } finally {
            lock.unlock();
        }
    }

    /** Removes and returns, in queue order, every waiting sequence that matches. */
    List<Sequence> removeIf(Predicate<Sequence> condition) {
        lock.lock();
        try {
            List<Sequence> removed = new ArrayList<>();
            for (Iterator<Sequence> it = queue.iterator(); it.hasNext(); ) {
                Sequence s = it.next();
                if (condition.test(s)) {
                    removed.add(s);
                    it.remove();
                }
            }
            return removed;
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    void wake() {
        lock.lock();
        try {
            signalled = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until something was offered or {@link #wake()} was called since the last wait, or the time is up. */
    void awaitWork(long nanos) throws InterruptedException {
        lock.lock();
        try {
            long left = nanos;
            while (!signalled && queue.isEmpty() && left > 0) left = changed.awaitNanos(left);
            signalled = false;
        } finally {
            lock.unlock();
        }
    }


    /** Refuses every later offer and returns what was waiting, in order. */
    List<Sequence> closeAndDrain() {
        lock.lock();
        try {
            closed = true;
            List<Sequence> all = new ArrayList<>(queue);
            queue.clear();
            return all;
        } finally {
            lock.unlock();
        }
    }
}
