export interface Operator {
  id: string;
  email: string;
  name: string;
  createdAt: Date;
}

/** Support operators live outside every instance (SPEC §1). */
export interface OperatorStore {
  /** Throws DomainError('conflict') when the email is taken (any case). */
  insert(operator: { id: string; email: string; name: string; passwordHash: string }): Promise<Operator>;
  findByEmail(email: string): Promise<Operator | null>;
}
