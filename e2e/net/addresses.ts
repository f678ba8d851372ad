/** The lab's fixed addresses (10.77.0.0/16: private, distinct from the bench's 10.123.45.0/24). */
export const SERVER_IP = '10.77.0.1';
export const TURN_IP = '10.77.0.2';
